"""``MemoryBlobs``: the ``Blobs`` port in a dictionary, with the disk store's rules, for tests."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from modelport.adapters.blobs.keys import check_folder, check_key, check_subfolder, parents
from modelport.adapters.blobs.staging import private_folder
from modelport.core.ports import BlobInfo
from modelport.errors import Conflict, NotFound

_Listing = tuple[list[str], list[BlobInfo]]


class MemoryBlobs:
    """Bytes by key in memory; lost on exit. Folders behave as on disk: writing a file makes
    its parents, and a folder stays (empty) when its last file goes.

    >>> blobs = MemoryBlobs(); blobs.put("a/b", b"x"); blobs.get("a/b")
    b'x'
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, tuple[bytes, datetime]] = {}
        self._folders: set[str] = set()  # every folder, without a trailing slash
        self._staging: Path | None = None

    def staging(self) -> Path:
        """A temp folder for uploads, removed when this object goes."""
        with self._lock:
            if self._staging is None:
                self._staging = private_folder(self)
            return self._staging

    def put(self, key: str, data: bytes) -> None:
        self._store(check_key(key), bytes(data))  # a bytearray given must not change the blob

    def put_file(self, key: str, source: Path) -> BlobInfo:
        try:
            return self._store(check_key(key), source.read_bytes())
        finally:
            source.unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        check_key(key)
        with self._lock:
            try:
                return self._files[key][0]
            except KeyError:
                raise NotFound(f"blob {key!r} not found") from None

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self.get(key))

    def stat(self, key: str) -> BlobInfo | None:
        check_key(key)
        with self._lock:
            found = self._files.get(key)
        return BlobInfo(key, len(found[0]), found[1]) if found else None

    def exists(self, key: str) -> bool:
        check_key(key)
        with self._lock:
            return key in self._files

    def delete(self, key: str) -> None:
        """Delete the blob; deleting a missing one (or a folder) does nothing."""
        check_key(key)
        with self._lock:
            self._files.pop(key, None)

    def list(self, prefix: str) -> _Listing:
        folder = check_folder(prefix)
        start = f"{folder}/" if folder else ""
        with self._lock:
            if folder and folder not in self._folders:
                raise NotFound(f"folder {prefix!r} not found")
            folders = [f[len(start) :] for f in self._folders if _is_child(f, start)]
            files = [
                BlobInfo(k[len(start) :], len(data), modified)
                for k, (data, modified) in self._files.items()
                if _is_child(k, start)
            ]
        return sorted(folders), sorted(files, key=lambda f: f.key)

    def make_folder(self, prefix: str) -> None:
        folder = check_subfolder(prefix)
        with self._lock:
            if folder in self._files:
                raise Conflict(f"cannot create folder {folder!r}: a file is in the way")
            self._check_parents(folder)
            self._folders.update([folder, *parents(folder)])

    def folder_exists(self, prefix: str) -> bool:
        folder = check_folder(prefix)
        with self._lock:
            return not folder or folder in self._folders

    def delete_tree(self, prefix: str) -> int:
        folder = check_subfolder(prefix)
        start = f"{folder}/"
        with self._lock:
            if folder not in self._folders:
                raise NotFound(f"folder {prefix!r} not found")
            doomed = [k for k in self._files if k.startswith(start)]
            for k in doomed:
                del self._files[k]
            self._folders = {f for f in self._folders if f != folder and not f.startswith(start)}
        return len(doomed)

    def _store(self, key: str, data: bytes) -> BlobInfo:
        modified = datetime.now(UTC)
        with self._lock:
            if key in self._folders:
                raise Conflict(f"cannot store {key!r}: it is a folder")
            self._check_parents(key)
            self._files[key] = (data, modified)
            self._folders.update(parents(key))
        return BlobInfo(key, len(data), modified)

    def _check_parents(self, key: str) -> None:
        for parent in parents(key):
            if parent in self._files:
                raise Conflict(f"cannot use {key!r}: {parent!r} is a file, not a folder")


def _is_child(key: str, start: str) -> bool:
    return key.startswith(start) and "/" not in key[len(start) :]
