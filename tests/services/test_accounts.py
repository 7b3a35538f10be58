"""Accounts, organisations and scoped keys: who may do what."""

from __future__ import annotations

import pytest

from modelport.adapters.store import MemoryStore
from modelport.core.model import AccountKind
from modelport.errors import (
    AccountNotFound,
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidName,
    NotFound,
    Unauthorized,
)
from modelport.services.accounts import KEY_PREFIX, Accounts, split_secret_token
from modelport.services.principal import ALL_SCOPES, Principal

MANAGE = frozenset({"algo:call", "algo:manage"})


@pytest.fixture
def accounts() -> Accounts:
    accounts = Accounts(MemoryStore(), token_secret=b"test-secret", cache_ttl=60)
    accounts.bootstrap_admin("admin")
    for name in ("alice", "bob", "carol"):
        accounts.create_user(name)
    return accounts


def login(accounts: Accounts, name: str, scopes: frozenset[str] = MANAGE) -> Principal:
    return accounts.authenticate(accounts.create_key(name, scopes, "test"))


@pytest.fixture
def admin(accounts: Accounts) -> Principal:
    return login(accounts, "admin", ALL_SCOPES)


# principals


def test_scopes_and_admin_implies_all(accounts: Accounts, admin: Principal) -> None:
    alice = login(accounts, "alice", frozenset({"algo:call"}))
    alice.require("algo:call")
    with pytest.raises(Forbidden, match="'data:write'"):
        alice.require("data:write")
    for scope in ALL_SCOPES:
        admin.require(scope)
    assert admin.is_admin and not alice.is_admin
    # an admin account through a key without the admin scope is not an admin
    limited = login(accounts, "admin", frozenset({"algo:call"}))
    assert not limited.is_admin and not limited.owns("alice")
    with pytest.raises(Forbidden, match="algo:manage"):
        limited.require("algo:manage")


def test_owns(accounts: Accounts, admin: Principal) -> None:
    alice = login(accounts, "alice")
    accounts.create_org("acme", "alice", caller=alice)
    alice = login(accounts, "alice")
    assert alice.orgs == frozenset({"acme"})
    assert alice.owns("alice") and alice.owns("acme")
    assert not alice.owns("bob") and not alice.owns("other")
    assert admin.owns("bob") and admin.owns("acme")


# users and organisations


def test_create_user(accounts: Accounts, admin: Principal) -> None:
    dave = accounts.create_user("dave", caller=admin)
    assert (dave.name, dave.kind, dave.is_admin) == ("dave", AccountKind.USER, False)
    assert accounts.create_user("root2", is_admin=True, caller=admin).is_admin
    with pytest.raises(Forbidden, match="admin"):
        accounts.create_user("eve", caller=login(accounts, "alice", ALL_SCOPES - {"admin"}))
    with pytest.raises(Conflict):
        accounts.create_user("dave", caller=admin)
    with pytest.raises(InvalidName):
        accounts.create_user("no spaces", caller=admin)


def test_keys_made_by_a_key_are_revoked_with_it(accounts: Accounts, admin: Principal) -> None:
    first = accounts.create_key("alice", MANAGE, "laptop")
    second = accounts.create_key("alice", MANAGE, "ci", by=accounts.authenticate(first))
    third = accounts.create_key("alice", MANAGE, "job", by=accounts.authenticate(second))
    # an admin's key minted for alice by the admin is the admin key's child, not alice's
    fourth = accounts.create_key("alice", MANAGE, "ops", by=admin)
    kept = accounts.create_key("alice", MANAGE, "other")
    laptop = accounts.authenticate(first)
    assert laptop.key_id is not None
    accounts.revoke_key(laptop, laptop.key_id)
    for key in (first, second, third):
        with pytest.raises(Unauthorized):
            accounts.authenticate(key)
    assert accounts.authenticate(fourth).account.name == "alice"
    assert accounts.authenticate(kept).account.name == "alice"


def test_names_are_unique_whatever_their_case_and_reserved_ones_are_no_one_s(
    accounts: Accounts, admin: Principal
) -> None:
    with pytest.raises(Conflict, match="'Alice' already exists \\(as 'alice'\\)"):
        accounts.create_user("Alice", caller=admin)
    with pytest.raises(Conflict):
        accounts.create_org("ALICE", "bob")
    for name in ("anonymous", "Anonymous", "ANONYMOUS"):
        with pytest.raises(InvalidName, match="reserved"):
            accounts.create_user(name, caller=admin)
        with pytest.raises(InvalidName, match="reserved"):
            accounts.create_org(name, "bob")


def test_create_org_makes_the_creator_a_member(accounts: Accounts) -> None:
    alice = login(accounts, "alice")
    org = accounts.create_org("acme", "alice", caller=alice)
    assert org.kind == AccountKind.ORG and not org.is_admin
    alice = login(accounts, "alice")  # a principal is one request's view: ask again
    assert [a.name for a in accounts.members("acme", caller=alice)] == ["alice"]
    with pytest.raises(Conflict):
        accounts.create_org("alice", "alice", caller=alice)  # names are shared with users
    with pytest.raises(Forbidden, match="may not"):
        accounts.create_org("bobs", "bob", caller=alice)
    with pytest.raises(Forbidden, match="algo:manage"):
        accounts.create_org("x", "alice", caller=login(accounts, "alice", frozenset({"algo:call"})))
    with pytest.raises(InvalidInput, match="not a user"):
        accounts.create_org("nested", "acme")


def test_members(accounts: Accounts, admin: Principal) -> None:
    alice_key = accounts.create_key("alice", MANAGE)
    bob = login(accounts, "bob")
    accounts.create_org("acme", "alice", caller=accounts.authenticate(alice_key))
    alice = accounts.authenticate(alice_key)  # not stale: creating the org dropped the cache
    with pytest.raises(Forbidden):
        accounts.add_member("acme", "carol", caller=bob)
    with pytest.raises(Forbidden):
        accounts.members("acme", caller=bob)
    accounts.add_member("acme", "bob", caller=alice)
    # bob's cached principal is dropped at once: his next request sees the organisation
    assert accounts.authenticate(bob_key := accounts.create_key("bob", MANAGE)).orgs == {"acme"}
    accounts.add_member("acme", "carol", caller=login(accounts, "bob"))
    assert [a.name for a in accounts.members("acme", caller=admin)] == ["alice", "bob", "carol"]
    accounts.add_member("acme", "bob", caller=alice)  # adding again changes nothing
    with pytest.raises(InvalidInput, match="not an organisation"):
        accounts.add_member("alice", "bob", caller=admin)
    accounts.create_org("other", "bob", caller=login(accounts, "bob"))
    with pytest.raises(InvalidInput, match="only users"):
        accounts.add_member("acme", "other", caller=alice)
    with pytest.raises(AccountNotFound):
        accounts.add_member("acme", "ghost", caller=alice)

    accounts.remove_member("acme", "bob", caller=alice)
    assert accounts.authenticate(bob_key).orgs == {"other"}
    with pytest.raises(NotFound):
        accounts.remove_member("acme", "bob", caller=alice)
    carol = login(accounts, "carol", frozenset({"algo:manage"}))
    with pytest.raises(Forbidden):  # carol is a member, but her key may not manage
        accounts.remove_member(
            "acme", "alice", caller=login(accounts, "carol", frozenset({"data:read"}))
        )
    accounts.remove_member("acme", "carol", caller=carol)  # anyone may leave
    assert [a.name for a in accounts.members("acme")] == ["alice"]


# keys


def test_create_key_checks_scopes(accounts: Accounts, admin: Principal) -> None:
    alice = login(accounts, "alice", frozenset({"algo:call", "data:read"}))
    key = accounts.create_key("alice", frozenset({"data:read"}), "ci", by=alice)
    assert accounts.authenticate(key).scopes == {"data:read"}
    with pytest.raises(Forbidden, match="algo:manage"):
        accounts.create_key("alice", frozenset({"algo:manage"}), by=alice)
    with pytest.raises(InvalidInput, match="unknown scopes"):
        accounts.create_key("alice", frozenset({"algo:everything"}), by=alice)
    with pytest.raises(InvalidInput, match="at least one"):
        accounts.create_key("alice", frozenset(), by=alice)
    with pytest.raises(Forbidden, match="only bob or an admin"):
        accounts.create_key("bob", frozenset({"algo:call"}), by=alice)
    # an admin may create keys for anyone, but only admins' keys carry 'admin'
    bobs = accounts.create_key("bob", frozenset({"algo:call", "data:write"}), "ops", by=admin)
    assert accounts.authenticate(f"Simple {bobs}").account.name == "bob"
    with pytest.raises(InvalidInput, match="not an admin"):
        accounts.create_key("bob", frozenset({"admin"}), by=admin)
    with pytest.raises(AccountNotFound):
        accounts.create_key("ghost", frozenset({"algo:call"}), by=admin)


def test_keys_and_revocation_at_once(accounts: Accounts, admin: Principal) -> None:
    first = accounts.create_key("alice", MANAGE, "laptop")
    second = accounts.create_key("alice", MANAGE, "ci")
    alice = accounts.authenticate(first)  # now cached for 60 seconds
    assert accounts.authenticate(second).account.name == "alice"
    listed = accounts.keys("alice")
    assert [k.name for k in listed] == ["ci", "laptop"]
    assert all(k.revoked_at is None and k.scopes == MANAGE for k in listed)
    laptop = next(k for k in listed if k.name == "laptop")

    with pytest.raises(NotFound):  # bob cannot revoke (or see) alice's keys
        accounts.revoke_key(login(accounts, "bob"), laptop.id)
    accounts.revoke_key(alice, laptop.id)
    with pytest.raises(Unauthorized):
        accounts.authenticate(first)
    assert accounts.authenticate(second).account.name == "alice"
    assert next(k for k in accounts.keys("alice") if k.name == "laptop").revoked_at is not None
    ci = next(k for k in accounts.keys("alice") if k.name == "ci")
    accounts.revoke_key(admin, ci.id)  # an admin may revoke any key
    with pytest.raises(Unauthorized):
        accounts.authenticate(f"Bearer {second}")
    with pytest.raises(NotFound):
        accounts.revoke_key(admin, "no-such-key")


def test_authenticate_header_forms(accounts: Accounts) -> None:
    key = accounts.create_key("alice", MANAGE)
    for header in (key, f"Simple {key}", f"simple {key}", f"Bearer {key}", f"  {key} "):
        assert accounts.authenticate(header).account.name == "alice"
    for missing in (None, "", "   "):
        with pytest.raises(Unauthorized, match="authorization required"):
            accounts.authenticate(missing)
    for bad in ("nope", "mp_x", "mp_x_", "mp_000000000000_wrong", key + "x", f"Simple {key[:-1]}"):
        with pytest.raises(Unauthorized, match="invalid API key"):
            accounts.authenticate(bad)


def test_cached_knows_only_what_authenticate_looked_up(accounts: Accounts) -> None:
    key = accounts.create_key("alice", MANAGE)
    assert accounts.cached(key) is None  # never looked up: the store must be asked
    alice = accounts.authenticate(key)
    assert accounts.cached(f"Simple {key}") == alice
    token = accounts.call_token(alice, "alice/digits", 60)
    calls = frozenset({"algo:call"})  # the key's scopes that a call token may carry
    acting = Principal(alice.account, calls, via="alice/digits", key_id=alice.key_id)
    assert accounts.cached(token, accounts.channel_proof) is None  # its key not yet checked
    assert accounts.authenticate(token, accounts.channel_proof) == acting
    assert accounts.cached(token, accounts.channel_proof) == acting
    accounts.revoke_key(alice, accounts.keys("alice")[0].id)
    assert accounts.cached(key) is None  # revoked: not served from the cache
    with pytest.raises(Unauthorized, match="invalid API key"):
        accounts.authenticate(key)
    with pytest.raises(Unauthorized, match="authorization required"):
        accounts.cached(None)


def test_split_secret_token() -> None:
    assert split_secret_token("mp_abc_s3_cr-et", KEY_PREFIX) == ("abc", "s3_cr-et")
    assert split_secret_token("mps_abc_secret", "mps_") == ("abc", "secret")
    assert split_secret_token("mp__secret", KEY_PREFIX) == ("", "secret")
    for other in ("mps_abc_secret", "mpt_abc.sig", "mp_abc", "mp_abc_", "abc_secret", ""):
        assert split_secret_token(other, KEY_PREFIX) is None
