"""``data://owner/collection/path`` URIs: parsing, safety rules and read ACLs.

>>> DataPath.parse(".my/digits/svm.dat", caller="alice")
DataPath(owner='alice', collection='digits', path='svm.dat')
>>> DataPath.parse("data://alice/digits/", caller="bob").uri
'data://alice/digits'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelport.core.model import ReadAcl
from modelport.core.names import check_owner
from modelport.errors import InvalidInput

MY = ".my"
MAX_SEGMENT = 255
MAX_PATH = 1024
_COLLECTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

ACL_READ: dict[ReadAcl, list[str]] = {
    ReadAcl.PRIVATE: [],
    ReadAcl.MY_ALGORITHMS: ["algo://.my/*"],
    ReadAcl.PUBLIC: ["user://*"],
}


def acl_from_read(read: object) -> ReadAcl:
    """The v1 API's ``{"read": [...]}`` list as a ``ReadAcl``."""
    for acl, values in ACL_READ.items():
        if read == values:
            return acl
    raise InvalidInput(
        f'unsupported read ACL {read!r}: use [] (private), ["algo://.my/*"] (your'
        ' algorithms) or ["user://*"] (public)'
    )


def check_collection_name(name: str) -> str:
    if not _COLLECTION.match(name):
        raise InvalidInput(
            f"invalid collection name {name!r}: use 1-64 letters, digits, '_', '-' or '.',"
            " starting with a letter or digit"
        )
    return name


def _check_segments(path: str) -> None:
    if len(path) > MAX_PATH:
        raise InvalidInput(f"path is over {MAX_PATH} characters")
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidInput(f"invalid path {path!r}: empty, '.' and '..' segments are refused")
        if "\\" in segment or _CONTROL.search(segment):
            raise InvalidInput(f"invalid path {path!r}: backslashes and control characters")
        if len(segment) > MAX_SEGMENT:
            raise InvalidInput(f"a path segment is over {MAX_SEGMENT} characters")


@dataclass(frozen=True, slots=True)
class DataPath:
    """A place in the data tree: an owner, a collection in it, and a path in that."""

    owner: str
    collection: str | None = None
    path: str = ""

    @classmethod
    def parse(cls, text: str, *, caller: str) -> DataPath:
        """``data://owner/collection/a/b``, or the same without the scheme (as in URLs)."""
        if "\x00" in text:
            raise InvalidInput("invalid path: NUL")
        rest = text.removeprefix("data://")
        if "://" in rest:
            scheme = rest.split("://", 1)[0]
            raise InvalidInput(f"the {scheme}:// connector is not available; use data://")
        rest = rest.strip("/") if rest.endswith("/") else rest.lstrip("/")
        if not rest:
            raise InvalidInput("a data path needs at least an owner: data://.my/collection")
        owner, _, below = rest.partition("/")
        owner = caller if owner == MY else check_owner(owner)
        if not below:
            return cls(owner)
        _check_segments(below)
        collection, _, path = below.partition("/")
        return cls(owner, check_collection_name(collection), path)

    @property
    def uri(self) -> str:
        parts = [self.owner, self.collection or "", self.path]
        return "data://" + "/".join(p for p in parts if p)

    @property
    def key(self) -> str:
        """The blob key of a file here (``data/owner/collection/path``)."""
        return f"data/{self.owner}/{self.collection}/{self.path}"

    @property
    def folder_key(self) -> str:
        """The blob prefix of the folder here, ending in ``/``."""
        inner = f"{self.collection}/{self.path}".rstrip("/")
        return f"data/{self.owner}/{inner}/"

    def child(self, name: str) -> DataPath:
        _check_segments(name)
        if "/" in name:
            raise InvalidInput(f"invalid folder name {name!r}: no '/'")
        if self.collection is None:
            return DataPath(self.owner, check_collection_name(name))
        return DataPath(self.owner, self.collection, f"{self.path}/{name}".lstrip("/"))
