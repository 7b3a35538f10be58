"""An algorithm's source tree as values, and its content hash (the build id)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceFile:
    data: bytes
    executable: bool = False


def tree_hash(files: Mapping[str, SourceFile]) -> str:
    """40-hex content hash of a tree: paths, executable bits and bytes, in path order.

    Identical trees give identical hashes whatever order or timestamps an archive had.

    >>> tree_hash({"a.py": SourceFile(b"x")}) == tree_hash({"a.py": SourceFile(b"x")})
    True
    """
    digest = hashlib.sha1()  # noqa: S324 - a content address, like git's
    for path in sorted(files):
        entry = files[path]
        digest.update(_header(path, entry.executable, len(entry.data)))
        digest.update(entry.data)
    return digest.hexdigest()


def folder_hash(folder: Path) -> str | None:
    """``tree_hash`` of the files under ``folder`` as they are on disk, read in chunks; None
    when it holds what no build can (a link, a device): tampered with, whatever its files."""
    paths: dict[str, Path] = {}
    for path in folder.rglob("*"):
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            return None
        if path.is_file():
            paths[path.relative_to(folder).as_posix()] = path
    digest = hashlib.sha1()  # noqa: S324
    for name in sorted(paths):
        path = paths[name]
        info = path.stat()
        digest.update(_header(name, bool(info.st_mode & 0o100), info.st_size))
        with open(path, "rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _header(path: str, executable: bool, size: int) -> bytes:
    return f"{'755' if executable else '644'} {path} {size}\0".encode()
