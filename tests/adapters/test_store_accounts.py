"""Organisations, collections and stored bytes, on every ``Store`` (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from modelport.core.model import AccountKind, Collection, ReadAcl, Session
from modelport.core.ports import Store
from modelport.errors import AccountNotFound, Conflict, NotFound
from tests.adapters import test_store
from tests.adapters.test_store import T0, account, at, key

store = test_store.store  # the same fixture: memory, SQLite and PostgreSQL


def accounts(store: Store, *names: str) -> None:
    for name in names:
        kind = AccountKind.ORG if name.startswith("org") else AccountKind.USER
        store.add_account(account(name, kind=kind))


def collection(name: str = "models", owner: str = "alice", acl: ReadAcl = ReadAcl.PRIVATE,
               created: int = 0) -> Collection:  # fmt: skip
    return Collection(f"col-{owner}-{name}", f"acc-{owner}", owner, name, acl, at(created))


def test_accounts_by_name(store: Store) -> None:
    assert store.accounts() == []
    accounts(store, "carol", "alice", "orgx")
    assert [a.name for a in store.accounts()] == ["alice", "carol", "orgx"]
    assert store.accounts()[2].kind == AccountKind.ORG


# memberships


def test_members_and_organisations(store: Store) -> None:
    accounts(store, "alice", "bob", "carol", "orga", "orgb")
    store.add_member("acc-orga", "acc-bob")
    store.add_member("acc-orga", "acc-alice")
    store.add_member("acc-orgb", "acc-alice")
    assert [a.name for a in store.members("acc-orga")] == ["alice", "bob"]
    assert [a.name for a in store.members("acc-orgb")] == ["alice"]
    assert store.members("acc-carol") == []
    assert [o.name for o in store.organizations_of("acc-alice")] == ["orga", "orgb"]
    assert store.organizations_of("acc-alice")[0] == account("orga", kind=AccountKind.ORG)
    assert store.organizations_of("acc-carol") == []

    store.remove_member("acc-orga", "acc-alice")
    assert [a.name for a in store.members("acc-orga")] == ["bob"]
    assert [o.name for o in store.organizations_of("acc-alice")] == ["orgb"]


def test_membership_errors(store: Store) -> None:
    accounts(store, "alice", "orga")
    store.add_member("acc-orga", "acc-alice")
    store.add_member("acc-orga", "acc-alice")  # adding again changes nothing
    assert [a.name for a in store.members("acc-orga")] == ["alice"]
    with pytest.raises(AccountNotFound):
        store.add_member("acc-orga", "acc-ghost")
    with pytest.raises(AccountNotFound):
        store.add_member("acc-ghost", "acc-alice")
    store.remove_member("acc-orga", "acc-alice")
    with pytest.raises(NotFound, match="not a member"):
        store.remove_member("acc-orga", "acc-alice")
    store.add_member("acc-orga", "acc-alice")  # the pair is free again


# collections


def test_collections(store: Store) -> None:
    accounts(store, "alice", "bob")
    models, images = collection("models"), collection("images", acl=ReadAcl.PUBLIC, created=5)
    bobs = collection("models", owner="bob", acl=ReadAcl.MY_ALGORITHMS)
    for c in (models, images, bobs):
        store.add_collection(c)
    assert store.collection("alice", "models") == models
    assert store.collection("bob", "models") == bobs
    assert store.collection("alice", "nope") is None
    assert store.collection("carol", "models") is None
    assert store.collections("acc-alice") == [images, models]
    assert store.collections("acc-carol") == []


def test_the_owner_name_comes_from_the_account(store: Store) -> None:
    accounts(store, "alice")
    store.add_collection(replace(collection(), owner="someone-else"))
    found = store.collection("alice", "models")
    assert found is not None and found.owner == "alice"


def test_collection_conflicts_and_unknown_owner(store: Store) -> None:
    accounts(store, "alice")
    store.add_collection(collection())
    with pytest.raises(Conflict, match="data://alice/models already exists"):
        store.add_collection(replace(collection(), id="another-id"))
    with pytest.raises(AccountNotFound):
        store.add_collection(collection(owner="ghost"))


def test_update_and_delete_collection(store: Store) -> None:
    accounts(store, "alice")
    store.add_collection(collection("models"))
    store.add_collection(collection("images"))
    public = replace(collection("models"), acl=ReadAcl.PUBLIC)
    store.update_collection(public)
    assert store.collection("alice", "models") == public
    with pytest.raises(Conflict):
        store.update_collection(replace(public, name="images"))
    with pytest.raises(NotFound):
        store.update_collection(collection("ghost"))
    store.delete_collection(public.id)
    store.delete_collection(public.id)  # deleting again does nothing
    assert store.collection("alice", "models") is None
    assert [c.name for c in store.collections("acc-alice")] == ["images"]
    store.add_collection(collection("models"))  # the name is free again


# stored bytes


def test_usage(store: Store) -> None:
    accounts(store, "alice", "bob")
    assert store.usage("acc-alice") == 0
    assert store.add_usage("acc-alice", 100) == 100
    assert store.add_usage("acc-alice", 50) == 150
    assert store.add_usage("acc-alice", -30) == 120
    assert store.add_usage("acc-alice", -1000) == 0  # never below zero
    assert store.add_usage("acc-bob", 7) == 7
    assert (store.usage("acc-alice"), store.usage("acc-bob")) == (0, 7)
    assert store.usage("acc-ghost") == 0
    with pytest.raises(AccountNotFound):
        store.add_usage("acc-ghost", 1)


def test_usage_increments_are_atomic(store: Store) -> None:
    accounts(store, "alice")
    errors: list[BaseException] = []

    def add_many() -> None:
        try:
            for _ in range(25):
                store.add_usage("acc-alice", 3)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=add_many) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.usage("acc-alice") == 8 * 25 * 3


def test_accounts_keep_their_keys_alongside_the_new_tables(store: Store) -> None:
    accounts(store, "alice", "orga")
    store.add_key(key("k1", "mp_aaaa"))
    store.add_member("acc-orga", "acc-alice")
    store.add_collection(collection())
    store.add_usage("acc-alice", 10)
    assert store.account_by_name("alice") == account("alice")
    assert [k.id for k in store.keys_of("acc-alice")] == ["k1"]
    assert store.account_by_name("alice").created_at == T0  # type: ignore[union-attr]


# passwords and sessions


def session(sid: str = "s1", owner: str = "alice", *, created: int = 0, days: int = 7) -> Session:
    return Session(
        sid, f"acc-{owner}", f"p{sid}", "hash", frozenset({"algo:call"}),
        at(created), at(created + days * 86400),
    )  # fmt: skip


def test_passwords(store: Store) -> None:
    accounts(store, "alice")
    assert store.password_hash("acc-alice") is None
    store.set_password("acc-alice", "scrypt$a$b")
    assert store.password_hash("acc-alice") == "scrypt$a$b"
    assert store.account_by_name("alice") == account("alice")  # the hash is not on the model
    store.set_password("acc-alice", None)
    assert store.password_hash("acc-alice") is None
    with pytest.raises(AccountNotFound):
        store.set_password("acc-nobody", "x")


def test_sessions_end_once_and_stale_ones_go(store: Store) -> None:
    accounts(store, "alice")
    store.add_session(session("s1"))
    store.add_session(session("s2", days=1))
    with pytest.raises(Conflict):
        store.add_session(session("s1"))
    with pytest.raises(AccountNotFound):
        store.add_session(session("s3", owner="nobody"))
    assert store.session_by_prefix("ps1") == session("s1")
    store.end_session("s1", at(100))
    store.end_session("s1", at(200))  # ending again keeps the first time
    assert store.session_by_prefix("ps1") == replace(session("s1"), ended_at=at(100))
    store.end_session("nothing", at(3 * 86400))  # a day after s2 expired, after s1 ended
    assert store.session_by_prefix("ps1") is None
    assert store.session_by_prefix("ps2") is None
