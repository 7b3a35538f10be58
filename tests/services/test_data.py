"""The data service on the in-memory store and blobs: quotas, limits, usage and paging."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelport.adapters.blobs import MemoryBlobs
from modelport.adapters.store import MemoryStore
from modelport.core.data import DataPath
from modelport.core.model import Account, AccountKind
from modelport.errors import Conflict, Forbidden, InvalidInput, PayloadTooLarge, QuotaExceeded
from modelport.services.data import Data
from modelport.services.principal import ALL_SCOPES, Principal


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Data, Principal, MemoryStore]:
    store = MemoryStore()
    account = Account("a1", "alice", AccountKind.USER, False, datetime.now(UTC))
    store.add_account(account)
    data = Data(store, MemoryBlobs(), max_file_bytes=100, quota_bytes=150, page_size=2)
    alice = Principal(account, ALL_SCOPES - {"admin"})
    data.create_folder(alice, DataPath("alice"), "models")
    return data, alice, store


def upload(data: Data, caller: Principal, name: str, size: int, tmp: Path) -> None:
    source = tmp / f"upload-{name}"
    source.write_bytes(b"x" * size)
    data.put_file(caller, DataPath("alice", "models", name), source)
    assert not source.exists()  # consumed, whatever happened


def test_usage_follows_puts_replacements_and_deletes(setup, tmp_path: Path) -> None:
    data, alice, store = setup
    upload(data, alice, "a", 60, tmp_path)
    upload(data, alice, "b", 40, tmp_path)
    assert store.usage("a1") == 100
    upload(data, alice, "a", 10, tmp_path)  # a replacement counts the difference
    assert store.usage("a1") == 50
    data.delete_file(alice, DataPath("alice", "models", "b"))
    assert store.usage("a1") == 10
    assert data.delete_folder(alice, DataPath("alice", "models"), force=True) == 1
    assert store.usage("a1") == 0


def test_limits_and_quota(setup, tmp_path: Path) -> None:
    data, alice, store = setup
    with pytest.raises(PayloadTooLarge):
        upload(data, alice, "big", 101, tmp_path)
    upload(data, alice, "a", 100, tmp_path)
    with pytest.raises(QuotaExceeded, match="quota of 150 bytes"):
        upload(data, alice, "b", 60, tmp_path)
    assert store.usage("a1") == 100
    assert data.listing(alice, DataPath("alice", "models")).files[0].key == "a"


def test_paging_and_markers(setup, tmp_path: Path) -> None:
    data, alice, _ = setup
    for name in "abcde":
        upload(data, alice, name, 1, tmp_path)
    names, marker = [], None
    while True:
        page = data.listing(alice, DataPath("alice", "models"), marker)
        names += [f.key for f in page.files]
        marker = page.marker
        if marker is None:
            break
    assert names == list("abcde")
    with pytest.raises(InvalidInput):
        data.listing(alice, DataPath("alice", "models"), "not-a-marker")


def test_writes_need_ownership_and_scope(setup, tmp_path: Path) -> None:
    data, alice, store = setup
    bob = Account("b1", "bob", AccountKind.USER, False, datetime.now(UTC))
    store.add_account(bob)
    with pytest.raises(Forbidden):
        data.create_folder(Principal(bob, ALL_SCOPES - {"admin"}), DataPath("alice"), "x")
    with pytest.raises(Forbidden, match="data:write"):
        data.create_folder(
            Principal(alice.account, frozenset({"data:read"})), DataPath("alice"), "y"
        )
    with pytest.raises(Conflict):
        data.create_folder(alice, DataPath("alice"), "models")


def test_concurrent_uploads_cannot_overshoot_the_quota(setup, tmp_path: Path) -> None:
    """The growth is reserved before the file is stored, so an upload that starts while
    another is still being stored sees its bytes (quota 150: 90 + 90 must not pass)."""
    data, alice, store = setup
    original = data._blobs.put_file

    def put_file(key: str, source: Path):  # type: ignore[no-untyped-def]
        if key.endswith("/a"):
            with pytest.raises(QuotaExceeded):
                upload(data, alice, "b", 90, tmp_path)
        return original(key, source)

    data._blobs.put_file = put_file  # type: ignore[method-assign]
    upload(data, alice, "a", 90, tmp_path)
    assert store.usage("a1") == 90
    assert [f.key for f in data.listing(alice, DataPath("alice", "models")).files] == ["a"]
