"""``DiskBlobs``: blobs as files under one root directory, written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from modelport.adapters.blobs.keys import check_key
from modelport.errors import NotFound


class DiskBlobs:
    """Each key is a file below ``root``; a reader sees the old bytes or the new, never half.

    >>> blobs = DiskBlobs(Path("/tmp/mp-blobs"))  # doctest: +SKIP
    >>> blobs.put("sources/0a1b.tar.gz", b"...")  # doctest: +SKIP
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"DiskBlobs({str(self.root)!r})"

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The temp file lives next to the target: os.replace is atomic only within a filesystem.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # the bytes reach the disk before the name points at them
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(path.parent)  # and the rename itself survives a crash

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"blob {key!r} not found") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Delete the blob; deleting a missing one does nothing."""
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            path.unlink()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
