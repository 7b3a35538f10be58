"""An algorithm's source tree as values, and its content hash (the build id)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass


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
        header = f"{'755' if entry.executable else '644'} {path} {len(entry.data)}\0"
        digest.update(header.encode())
        digest.update(entry.data)
    return digest.hexdigest()
