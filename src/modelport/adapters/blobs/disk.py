"""``DiskBlobs``: blobs as files under one root directory, written atomically."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from modelport.adapters.blobs.keys import (
    STAGING,
    check_folder,
    check_key,
    check_subfolder,
    is_temp_name,
)
from modelport.adapters.blobs.staging import sweep
from modelport.core.ports import BlobInfo
from modelport.errors import Conflict, NotFound

_Listing = tuple[list[str], list[BlobInfo]]


class DiskBlobs:
    """Each key is a file below ``root``; a reader sees the old bytes or the new, never half.

    New bytes are written to ``root/.staging`` and renamed into place, so a process killed
    mid-write leaves the old file and, at worst, a leftover in staging that is removed later.

    >>> blobs = DiskBlobs(Path("/tmp/mp-blobs"))  # doctest: +SKIP
    >>> blobs.put("sources/0a1b.tar.gz", b"...")  # doctest: +SKIP
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._swept = False

    def __repr__(self) -> str:
        return f"DiskBlobs({str(self.root)!r})"

    def staging(self) -> Path:
        """A folder on the same filesystem for files that ``put_file`` will move into place."""
        path = self.root / STAGING
        path.mkdir(parents=True, exist_ok=True)
        if not self._swept:
            self._swept = True
            sweep(path)
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        fd, tmp = tempfile.mkstemp(dir=self.staging(), prefix=_temp_prefix(path), suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # the bytes reach the disk before the name points at them
            self._move_into_place(Path(tmp), path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def put_file(self, key: str, source: Path) -> BlobInfo:
        """Move ``source`` (best from ``staging()``) to ``key`` atomically; it is consumed."""
        try:
            path = self._path(key)
            with open(source, "rb") as f:
                os.fsync(f.fileno())
            self._move_into_place(source, path)
        except BaseException:
            source.unlink(missing_ok=True)  # consumed even on failure: staging never fills up
            raise
        return self._info(key, path)

    def get(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def open(self, key: str) -> BinaryIO:
        """The blob as a binary file, to read in chunks; close it when done."""
        try:
            return open(self._path(key), "rb")  # the caller closes it
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"blob {key!r} not found") from None

    def stat(self, key: str) -> BlobInfo | None:
        """Size and modification time, or ``None`` when there is no file at ``key``."""
        path = self._path(key)
        try:
            return self._info(key, path) if path.is_file() else None
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Delete the blob; deleting a missing one (or a folder) does nothing."""
        with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
            self._path(key).unlink()

    def list(self, prefix: str) -> _Listing:
        """Sub-folder names and files (``key`` = the file's name) of a folder, sorted by name."""
        directory = self._folder(check_folder(prefix))
        folders: list[str] = []
        files: list[BlobInfo] = []
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            if directory == self.root:
                return [], []  # the root always exists, even before the first write
            raise NotFound(f"folder {prefix!r} not found") from None
        for entry in entries:
            if is_temp_name(entry.name) or (directory == self.root and entry.name == STAGING):
                continue
            with contextlib.suppress(FileNotFoundError):  # deleted while we looked
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.name)
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    files.append(BlobInfo(entry.name, st.st_size, _utc(st.st_mtime)))
        return folders, files

    def make_folder(self, prefix: str) -> None:
        """Create a folder (and its parents); an existing folder is fine."""
        folder = check_subfolder(prefix)
        try:
            self._folder(folder).mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise Conflict(f"cannot create folder {folder!r}: a file is in the way") from None

    def folder_exists(self, prefix: str) -> bool:
        folder = check_folder(prefix)
        return not folder or self._folder(folder).is_dir()

    def delete_tree(self, prefix: str) -> int:
        """Delete a folder and everything below it; return how many files went."""
        folder = check_subfolder(prefix)
        directory = self._folder(folder)
        if not directory.is_dir():
            raise NotFound(f"folder {folder!r} not found")
        # Move it out of sight first: readers never see a half-deleted tree.
        doomed = self.staging() / f".deleting-{uuid.uuid4().hex}"
        try:
            os.rename(directory, doomed)
        except FileNotFoundError:
            raise NotFound(f"folder {folder!r} not found") from None
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            doomed = directory  # another filesystem mounted inside: delete in place
        count = sum(1 for _, _, names in os.walk(doomed) for n in names if not is_temp_name(n))
        shutil.rmtree(doomed, ignore_errors=True)
        return count

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _folder(self, folder: str) -> Path:
        return self.root.joinpath(*folder.split("/")) if folder else self.root

    def _info(self, key: str, path: Path) -> BlobInfo:
        st = path.stat()
        return BlobInfo(key, st.st_size, _utc(st.st_mtime))

    def _move_into_place(self, source: Path, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise Conflict(f"cannot store {path.relative_to(self.root).as_posix()!r}: "
                           "a file is in the way of its folder") from None  # fmt: skip
        if path.is_dir():
            raise Conflict(f"cannot store {path.relative_to(self.root).as_posix()!r}: "
                           "it is a folder")  # fmt: skip
        try:
            os.replace(source, path)
        except IsADirectoryError:
            raise Conflict(f"{path.relative_to(self.root).as_posix()!r} is a folder") from None
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            _copy_into_place(source, path)  # source was on another filesystem
        _fsync_dir(path.parent)  # and the rename itself survives a crash


def _copy_into_place(source: Path, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    source.unlink()


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _temp_prefix(path: Path) -> str:
    return f".{path.name[:100]}."  # room left for mkstemp's random part within NAME_MAX


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
