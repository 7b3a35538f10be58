"""Data collections: folders and files under ``data://owner/collection/...``, with read ACLs.

Reads need ``data:read`` and the collection's ACL to admit the caller: its owner (or a member
of the owning organisation), anyone for public collections, and the owner's algorithms
(a call token acting inside one of them) for ``my_algorithms``. A collection the caller may
not read is reported as missing. Writes need ``data:write`` and ownership.
"""

from __future__ import annotations

import base64
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from modelport.core.data import DataPath
from modelport.core.model import Collection, ReadAcl
from modelport.core.ports import BlobInfo, Blobs, Store
from modelport.errors import (
    AccountNotFound,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
)
from modelport.services.principal import Principal


@dataclass(frozen=True, slots=True)
class Listing:
    folders: list[str]
    files: list[BlobInfo]
    marker: str | None = None
    acl: ReadAcl | None = None


class Data:
    def __init__(
        self,
        store: Store,
        blobs: Blobs,
        *,
        max_file_bytes: int,
        quota_bytes: int,
        page_size: int = 1000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store, self._blobs = store, blobs
        self.max_file_bytes, self._quota, self._page = max_file_bytes, quota_bytes, page_size
        self._clock = clock

    def staging(self) -> Path:
        return self._blobs.staging()

    # -- reading ---------------------------------------------------------------------------

    def listing(self, caller: Principal, at: DataPath, marker: str | None = None) -> Listing:
        caller.require("data:read")
        if at.collection is None:
            return self._owner_listing(caller, at.owner)
        collection = self._readable(caller, at)
        if not self._folder(at):
            raise NotFound(f"{at.uri} does not exist")
        folders, files = self._blobs.list(at.folder_key)
        start = _offset(marker)
        entries: list[str | BlobInfo] = [*folders, *files]
        page = entries[start : start + self._page]
        more = start + self._page < len(entries)
        return Listing(
            [e for e in page if isinstance(e, str)],
            [e for e in page if isinstance(e, BlobInfo)],
            _marker(start + self._page) if more else None,
            collection.acl,
        )

    def root(self, caller: Principal) -> Listing:
        """``GET /v1/data/``: the caller's namespace first, then its organisations'."""
        caller.require("data:read")
        names = [caller.account.name, *sorted(caller.orgs)]
        return Listing(names, [])

    def stat(self, caller: Principal, at: DataPath) -> BlobInfo:
        caller.require("data:read")
        self._readable(caller, at)
        info = self._blobs.stat(at.key) if at.path else None
        if info is None:
            raise NotFound(f"{at.uri} does not exist")
        return info

    def open(self, caller: Principal, at: DataPath) -> tuple[BinaryIO, BlobInfo]:
        info = self.stat(caller, at)
        return self._blobs.open(at.key), info

    def exists_folder(self, caller: Principal, at: DataPath) -> bool:
        try:
            self.listing(caller, at)
        except NotFound:
            return False
        return True

    # -- writing ---------------------------------------------------------------------------

    def create_folder(
        self, caller: Principal, parent: DataPath, name: str, acl: ReadAcl | None = None
    ) -> DataPath:
        self._check_write(caller, parent.owner)
        target = parent.child(name)
        if target.collection is not None and not target.path:
            owner = self._store.account_by_name(target.owner)
            if owner is None:
                raise AccountNotFound(f"no account named {target.owner!r}")
            self._store.add_collection(
                Collection(
                    str(uuid.uuid4()),
                    owner.id,
                    owner.name,
                    target.collection,
                    acl or ReadAcl.MY_ALGORITHMS,
                    self._clock(),
                )
            )
        else:
            self._collection(target)
            if self._blobs.stat(target.key) is not None or self._folder(target):
                raise Conflict(f"{target.uri} already exists")
        self._blobs.make_folder(target.folder_key)
        return target

    def check_upload(self, caller: Principal, at: DataPath) -> Collection:
        """Whether ``caller`` may write the file ``at``: checked before a byte is spooled."""
        self._check_write(caller, at.owner)
        if not at.path:
            raise InvalidInput(f"{at.uri} is a collection, not a file: add a file name")
        collection = self._collection(at)
        if self._folder(at):
            raise Conflict(f"{at.uri} is a folder")
        return collection

    def put_file(self, caller: Principal, at: DataPath, source: Path) -> BlobInfo:
        """Store the spooled upload at ``source`` as the file ``at`` (``source`` is consumed)."""
        try:
            collection = self.check_upload(caller, at)
            size = source.stat().st_size
            if size > self.max_file_bytes:
                raise PayloadTooLarge(f"file is over the {self.max_file_bytes} byte limit")
            old = self._blobs.stat(at.key)
            delta = size - (old.size if old else 0)
            # reserve the growth first: the counter's increment is atomic, so concurrent
            # uploads cannot all pass the quota together
            if delta > 0 and self._store.add_usage(collection.owner_id, delta) > self._quota:
                self._store.add_usage(collection.owner_id, -delta)
                raise QuotaExceeded(
                    f"storing {size} bytes would pass {collection.owner}'s quota of"
                    f" {self._quota} bytes; delete files or ask for a larger quota"
                )
        except BaseException:
            source.unlink(missing_ok=True)
            raise
        try:
            info = self._blobs.put_file(at.key, source)
        except BaseException:
            if delta > 0:
                self._store.add_usage(collection.owner_id, -delta)  # give the reservation back
            raise
        if delta <= 0:
            self._store.add_usage(collection.owner_id, delta)
        return info

    def delete_file(self, caller: Principal, at: DataPath) -> int:
        self._check_write(caller, at.owner)
        collection = self._collection(at)
        info = self._blobs.stat(at.key) if at.path else None
        if info is None:
            raise NotFound(f"{at.uri} does not exist")
        self._blobs.delete(at.key)
        self._store.add_usage(collection.owner_id, -info.size)
        return 1

    def delete_folder(self, caller: Principal, at: DataPath, *, force: bool) -> int:
        self._check_write(caller, at.owner)
        collection = self._collection(at)
        if not self._folder(at):
            raise NotFound(f"{at.uri} does not exist")
        folders, files = self._blobs.list(at.folder_key)
        if (folders or files) and not force:
            raise Conflict(f"{at.uri} is not empty: delete with force=true", deleted=0)
        freed = self._size_of(at.folder_key)
        deleted = self._blobs.delete_tree(at.folder_key)
        self._store.add_usage(collection.owner_id, -freed)
        if not at.path:
            self._store.delete_collection(collection.id)
        return deleted

    def set_acl(self, caller: Principal, at: DataPath, acl: ReadAcl) -> Collection:
        self._check_write(caller, at.owner)
        if at.path:
            raise InvalidInput("ACLs belong to collections, not to folders inside them")
        updated = replace(self._collection(at), acl=acl)
        self._store.update_collection(updated)
        return updated

    # -- rules -----------------------------------------------------------------------------

    def _owner_listing(self, caller: Principal, owner_name: str) -> Listing:
        owner = self._store.account_by_name(owner_name)
        if owner is None:
            raise NotFound(f"data://{owner_name} does not exist")
        names = [c.name for c in self._store.collections(owner.id) if self._may_read(caller, c)]
        if not names and not caller.owns(owner_name):
            raise NotFound(f"data://{owner_name} does not exist")
        return Listing(names, [])

    def _collection(self, at: DataPath) -> Collection:
        if at.collection is None:
            raise InvalidInput(f"{at.uri} names an account; add a collection")
        found = self._store.collection(at.owner, at.collection)
        if found is None:
            raise NotFound(f"collection data://{at.owner}/{at.collection} does not exist")
        return found

    def _readable(self, caller: Principal, at: DataPath) -> Collection:
        collection = self._collection(at)
        if not self._may_read(caller, collection):
            raise NotFound(f"collection data://{at.owner}/{at.collection} does not exist")
        return collection

    @staticmethod
    def _may_read(caller: Principal, collection: Collection) -> bool:
        if collection.acl == ReadAcl.PUBLIC or caller.owns(collection.owner):
            return True
        via = caller.via or ""
        return collection.acl == ReadAcl.MY_ALGORITHMS and via.startswith(f"{collection.owner}/")

    @staticmethod
    def _check_write(caller: Principal, owner: str) -> None:
        caller.require("data:write")
        if not caller.owns(owner):
            raise Forbidden(f"{caller.account.name} may not write to data://{owner}")

    def _folder(self, at: DataPath) -> bool:
        return self._blobs.folder_exists(at.folder_key)

    def _size_of(self, prefix: str) -> int:
        folders, files = self._blobs.list(prefix)
        return sum(f.size for f in files) + sum(self._size_of(f"{prefix}{d}/") for d in folders)


def _marker(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _offset(marker: str | None) -> int:
    if not marker:
        return 0
    with contextlib.suppress(ValueError):
        value = int(base64.urlsafe_b64decode(marker.encode()).decode())
        if value >= 0:
            return value
    raise InvalidInput(f"invalid marker {marker!r}")
