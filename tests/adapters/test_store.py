"""One suite for every ``Store``: in memory, SQLite in a file, and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from modelport.adapters.store import MemoryStore, SqlStore, upgrade
from modelport.core.model import (
    Account,
    AccountKind,
    Algorithm,
    ApiKey,
    Build,
    BuildStatus,
    Version,
)
from modelport.core.ports import Store
from modelport.core.versions import Callability, SemVer
from modelport.errors import AccountNotFound, AlgorithmNotFound, Conflict, NotFound

T0 = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        s: Store = MemoryStore()
    else:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'modelport.db'}"
        else:
            url = request.getfixturevalue("fresh_postgres_url")
        upgrade(url)
        s = SqlStore(url)
    yield s
    s.close()


def account(
    name: str = "alice", created: datetime = T0, kind: AccountKind = AccountKind.USER
) -> Account:
    return Account(f"acc-{name}", name, kind, name == "admin", created)


def key(id: str, prefix: str, created: datetime = T0, account_id: str = "acc-alice") -> ApiKey:
    return ApiKey(id, account_id, prefix, "hash-" + id, frozenset({"algo:call", "data:read"}),
                  "laptop", created)  # fmt: skip


def algorithm(name: str = "digits", owner: str = "alice", created: datetime = T0) -> Algorithm:
    details = {"summary": "recognises digits", "tags": ["cv", "mnist"], "nested": {"a": [1, 2.5]}}
    return Algorithm(f"alg-{owner}-{name}", owner, name, details, {"license": "apl"}, created)


def build(sha: str, started: datetime = T0, algorithm_id: str = "alg-alice-digits") -> Build:
    return Build(algorithm_id, sha, BuildStatus.IN_PROGRESS, {"entrypoint": "algorithm.py"},
                 started)  # fmt: skip


def version(text: str, created: datetime = T0, algorithm_id: str = "alg-alice-digits") -> Version:
    return Version(algorithm_id, SemVer.parse(text), "c" * 40, Callability.PUBLIC, created)


# accounts and keys


def test_accounts(store: Store) -> None:
    alice = account()
    store.add_account(alice)
    store.add_account(account("admin"))
    store.add_account(account("acme", kind=AccountKind.ORG))
    assert store.account_by_name("admin") == account("admin")
    assert store.account_by_name("alice") == alice
    assert store.account_by_id("acc-alice") == alice
    assert store.account_by_id("acc-acme") == account("acme", kind=AccountKind.ORG)
    assert store.account_by_name("bob") is None
    assert store.account_by_id("nope") is None


def test_keys_made_by_a_key(store: Store) -> None:
    store.add_account(account())
    parent = ApiKey("k-1", "acc-alice", "p1", "h", frozenset({"algo:call"}), "", T0)
    child = replace(parent, id="k-2", prefix="p2", parent_id="k-1")
    store.add_key(parent)
    store.add_key(child)
    assert store.keys_made_by("k-1") == [child]
    assert store.keys_made_by("k-2") == []
    assert store.key_by_prefix("p2") == child


def test_accounts_by_name_but_for_case(store: Store) -> None:
    alice = account()
    store.add_account(alice)
    assert store.account_by_folded_name("ALICE") == alice
    assert store.account_by_folded_name("Alice") == alice
    assert store.account_by_folded_name("alic") is None


def test_duplicate_account_name_conflicts(store: Store) -> None:
    store.add_account(account())
    with pytest.raises(Conflict, match="alice"):
        store.add_account(Account("other-id", "alice", AccountKind.USER, False, T0))


def test_keys(store: Store) -> None:
    store.add_account(account())
    store.add_account(account("bob"))
    older, newer = key("k1", "mp_aaaa", at(0)), key("k2", "mp_bbbb", at(5))
    store.add_key(older)
    store.add_key(newer)
    store.add_key(key("k3", "mp_cccc", account_id="acc-bob"))
    assert store.key_by_prefix("mp_aaaa") == older
    assert store.key_by_prefix("mp_zzzz") is None
    assert store.keys_of("acc-alice") == [newer, older]
    assert store.keys_of("nobody") == []
    found = store.key_by_prefix("mp_bbbb")
    assert found is not None and found.scopes == frozenset({"algo:call", "data:read"})


def test_key_conflicts_and_unknown_account(store: Store) -> None:
    store.add_account(account())
    store.add_key(key("k1", "mp_aaaa"))
    with pytest.raises(Conflict, match="mp_aaaa"):
        store.add_key(key("k2", "mp_aaaa"))
    with pytest.raises(AccountNotFound):
        store.add_key(key("k3", "mp_cccc", account_id="acc-ghost"))


def test_revoke_key(store: Store) -> None:
    store.add_account(account())
    store.add_key(key("k1", "mp_aaaa"))
    store.add_key(key("k2", "mp_bbbb"))
    store.revoke_key("k1", at(60))
    store.revoke_key("k1", at(120))  # a second revoke keeps the first time
    revoked = store.key_by_prefix("mp_aaaa")
    assert revoked is not None and revoked.revoked_at == at(60)
    kept = store.key_by_prefix("mp_bbbb")
    assert kept is not None and kept.revoked_at is None
    with pytest.raises(NotFound):
        store.revoke_key("ghost", at(0))


# algorithms


def test_algorithms(store: Store) -> None:
    old, new = algorithm("digits", created=at(0)), algorithm("faces", created=at(10))
    bobs = algorithm("digits", owner="bob", created=at(5))
    for a in (old, bobs, new):
        store.add_algorithm(a)
    assert store.algorithm("alice", "digits") == old
    assert store.algorithm("bob", "digits") == bobs
    assert store.algorithm("alice", "nope") is None
    assert store.algorithms() == [new, bobs, old]
    assert store.algorithms("alice") == [new, old]
    assert store.algorithms("carol") == []


def test_duplicate_algorithm_conflicts(store: Store) -> None:
    store.add_algorithm(algorithm())
    again = Algorithm("another-id", "alice", "digits", {}, {}, T0)
    with pytest.raises(Conflict, match="alice/digits already exists"):
        store.add_algorithm(again)


def test_update_algorithm(store: Store) -> None:
    store.add_algorithm(algorithm())
    store.add_algorithm(algorithm("faces"))
    changed = Algorithm("alg-alice-digits", "alice", "digits", {"summary": "v2"},
                        {"license": "mit"}, T0, source_sha="a" * 40)  # fmt: skip
    store.update_algorithm(changed)
    assert store.algorithm("alice", "digits") == changed
    renamed_onto_faces = Algorithm("alg-alice-digits", "alice", "faces", {}, {}, T0)
    with pytest.raises(Conflict):
        store.update_algorithm(renamed_onto_faces)
    with pytest.raises(AlgorithmNotFound):
        store.update_algorithm(algorithm("ghost"))


def test_delete_algorithm_removes_builds_and_versions(store: Store) -> None:
    store.add_algorithm(algorithm())
    store.add_algorithm(algorithm("faces"))
    store.put_build(build("a" * 40))
    store.add_version(version("1.0.0"))
    store.put_build(build("b" * 40, algorithm_id="alg-alice-faces"))
    store.add_version(version("1.0.0", algorithm_id="alg-alice-faces"))

    store.delete_algorithm("alg-alice-digits")
    store.delete_algorithm("alg-alice-digits")  # deleting again does nothing

    assert store.algorithm("alice", "digits") is None
    assert store.build("alg-alice-digits", "a" * 40) is None
    assert store.builds("alg-alice-digits") == []
    assert store.versions("alg-alice-digits") == []
    assert [b.commit_sha for b in store.builds("alg-alice-faces")] == ["b" * 40]
    assert len(store.versions("alg-alice-faces")) == 1
    store.add_algorithm(algorithm())  # the name is free again, with no history
    assert store.versions("alg-alice-digits") == []


# builds and versions


def test_put_build_inserts_then_replaces(store: Store) -> None:
    store.add_algorithm(algorithm())
    first = build("a" * 40, at(0))
    store.put_build(first)
    assert store.build("alg-alice-digits", "a" * 40) == first
    done = Build("alg-alice-digits", "a" * 40, BuildStatus.SUCCEEDED, {"entrypoint": "x.py"},
                 at(0), finished_at=at(30), env_hash="e" * 64, logs="ok\n")  # fmt: skip
    store.put_build(done)
    assert store.build("alg-alice-digits", "a" * 40) == done
    assert store.builds("alg-alice-digits") == [done]
    assert store.build("alg-alice-digits", "f" * 40) is None


def test_builds_newest_first(store: Store) -> None:
    store.add_algorithm(algorithm())
    shas = ["1" * 40, "2" * 40, "3" * 40]
    for sha, started in zip(shas, [at(20), at(0), at(10)], strict=True):
        store.put_build(build(sha, started))
    assert [b.commit_sha for b in store.builds("alg-alice-digits")] == [shas[0], shas[2], shas[1]]
    with pytest.raises(AlgorithmNotFound):
        store.put_build(build("a" * 40, algorithm_id="ghost"))


def test_versions(store: Store) -> None:
    store.add_algorithm(algorithm())
    full = Version("alg-alice-digits", SemVer(1, 2, 3), "d" * 40, Callability.PRIVATE, at(0),
                   release_notes="first", sample_input={"image": [0, 1]}, sample_output=7,
                   extra={"size": 3})  # fmt: skip
    store.add_version(full)
    assert store.versions("alg-alice-digits") == [full]
    with pytest.raises(Conflict, match=r"1\.2\.3"):
        store.add_version(version("1.2.3", at(9)))
    with pytest.raises(AlgorithmNotFound):
        store.add_version(version("1.0.0", algorithm_id="ghost"))
    assert store.versions("nope") == []


def test_versions_newest_first_then_by_semver(store: Store) -> None:
    store.add_algorithm(algorithm())
    for text, created in [("1.0.0", at(0)), ("2.0.0", at(10)), ("1.10.0", at(10)),
                          ("1.9.0", at(10)), ("0.1.0", at(20))]:  # fmt: skip
        store.add_version(version(text, created))
    order = [str(v.semver) for v in store.versions("alg-alice-digits")]
    assert order == ["0.1.0", "2.0.0", "1.10.0", "1.9.0", "1.0.0"]


# values round trip


def test_datetimes_come_back_aware_in_utc(store: Store) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2026, 6, 1, 12, 0, 0, 654321, tzinfo=india)
    store.add_account(account(created=local))
    store.add_algorithm(algorithm(created=local))
    store.put_build(build("a" * 40, started=local))
    got = [
        store.account_by_name("alice").created_at,  # type: ignore[union-attr]
        store.algorithms()[0].created_at,
        store.builds("alg-alice-digits")[0].started_at,
    ]
    for value in got:
        assert value == local
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
        assert value.replace(tzinfo=None) == datetime(2026, 6, 1, 6, 30, 0, 654321)


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.add_account(account(created=datetime(2026, 1, 1)))


JSON_VALUES = [
    None, True, 0, -3, 2.5, "", "text ✓ ünïcode", [], [1, "two", None, [3]],
    {"a": {"b": [1, {"c": None}]}, "emoji": "🙂", "n": 1e-9},
]  # fmt: skip


def test_json_values_round_trip(store: Store) -> None:
    store.add_algorithm(algorithm())
    for i, value in enumerate(JSON_VALUES):
        store.add_version(
            Version("alg-alice-digits", SemVer(1, 0, i), "c" * 40, Callability.PUBLIC, at(i),
                    sample_input=value, sample_output=[value], extra={"v": value})
        )  # fmt: skip
    got = {v.semver.patch: v for v in store.versions("alg-alice-digits")}
    for i, value in enumerate(JSON_VALUES):
        assert got[i].sample_input == value
        assert got[i].sample_output == [value]
        assert got[i].extra == {"v": value}


def test_returned_values_do_not_alias_the_store(store: Store) -> None:
    a = algorithm()
    store.add_algorithm(a)
    a.details["summary"] = "changed after add"
    found = store.algorithm("alice", "digits")
    assert found is not None and found.details["summary"] == "recognises digits"
    found.details["summary"] = "changed after read"
    again = store.algorithm("alice", "digits")
    assert again is not None and again.details["summary"] == "recognises digits"


def test_concurrent_writers_from_threads(store: Store) -> None:
    errors: list[BaseException] = []

    def add_many(worker: int) -> None:
        try:
            for i in range(10):
                store.add_algorithm(algorithm(f"w{worker}-{i}", created=at(i)))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=add_many, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.algorithms("alice")) == 80
