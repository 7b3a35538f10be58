"""Blob keys: relative, slash-separated paths such as ``sources/<sha>.tar.gz``."""

from __future__ import annotations

from modelport.errors import InvalidInput


def check_key(key: str) -> str:
    """Return ``key`` if it is safe to use as a path below a root, else raise ``InvalidInput``.

    Every store checks the same rules, so a key that works in tests works on disk too.

    >>> check_key("sources/0a1b.tar.gz")
    'sources/0a1b.tar.gz'
    """
    problem = _problem(key)
    if problem:
        raise InvalidInput(f"invalid blob key {key!r}: {problem}")
    return key


def _problem(key: str) -> str | None:
    if not key:
        return "empty"
    if "\x00" in key:
        return "contains NUL"
    if "\\" in key:
        return "contains a backslash"
    if key.startswith("/"):
        return "absolute"
    segments = key.split("/")
    if any(s == "" for s in segments):
        return "empty path segment"
    if any(s in (".", "..") for s in segments):
        return "'.' or '..' segment"
    return None
