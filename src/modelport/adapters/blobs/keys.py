"""Blob keys and folder prefixes: relative, slash-separated paths such as ``sources/<sha>.tar.gz``.

Every store checks the same rules, so a key that works in tests works on disk and on S3 too.
Two kinds of names are reserved for the stores' own use: the first segment ``.staging`` (the
disk store's upload area) and segments like ``.name.tmp`` (files being written).
"""

from __future__ import annotations

import re

from modelport.errors import InvalidInput

STAGING = ".staging"
_TEMP = re.compile(r"^\..*\.tmp$")


def check_key(key: str) -> str:
    """Return ``key`` if it is safe to use as a path below a root, else raise ``InvalidInput``.

    >>> check_key("sources/0a1b.tar.gz")
    'sources/0a1b.tar.gz'
    """
    problem = _problem(key)
    if problem:
        raise InvalidInput(f"invalid blob key {key!r}: {problem}")
    return key


def check_folder(prefix: str) -> str:
    """Normalise a folder prefix: ``"a/b/"`` and ``"a/b"`` give ``"a/b"``; ``""`` is the root.

    >>> check_folder("data/alice/models/"), check_folder("")
    ('data/alice/models', '')
    """
    if prefix == "":
        return ""
    inner = prefix.removesuffix("/")
    problem = _problem(inner)
    if problem:
        raise InvalidInput(f"invalid folder {prefix!r}: {problem}")
    return inner


def check_subfolder(prefix: str) -> str:
    """Like ``check_folder``, but refuse the root (we never create or delete the whole store)."""
    folder = check_folder(prefix)
    if not folder:
        raise InvalidInput("the root folder cannot be created or deleted")
    return folder


def parents(key: str) -> list[str]:
    """The folders above ``key``, nearest first: ``"a/b/c"`` gives ``["a/b", "a"]``."""
    parts = key.split("/")[:-1]
    return ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of ours in the middle of being written (``.x.tmp``)."""
    return bool(_TEMP.match(name))


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
    if segments[0] == STAGING:
        return f"{STAGING!r} is reserved"
    if any(is_temp_name(s) for s in segments):
        return "names like '.x.tmp' are reserved for files being written"
    return None
