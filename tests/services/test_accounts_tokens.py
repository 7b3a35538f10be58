"""Call tokens: self-contained, signed, short-lived identities for code inside an algorithm."""

from __future__ import annotations

import base64
import json

import pytest

from modelport.adapters.store import MemoryStore
from modelport.errors import Forbidden, Unauthorized
from modelport.services.accounts import Accounts
from modelport.services.principal import ALL_SCOPES, Principal


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def accounts(store: MemoryStore, clock: Clock) -> Accounts:
    accounts = Accounts(store, token_secret=b"s" * 32, wall_clock=clock)
    accounts.bootstrap_admin("admin")
    accounts.create_user("alice")
    return accounts


def login(accounts: Accounts, name: str, scopes: frozenset[str]) -> Principal:
    return accounts.authenticate(accounts.create_key(name, scopes))


def inside(accounts: Accounts, token: str) -> Principal:
    """``token`` as it reaches the gateway: through a worker's channel, with its proof."""
    return accounts.authenticate(token, accounts.channel_proof)


def claims(token: str) -> dict[str, object]:
    payload = token.removeprefix("mpt_").split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_a_token_acts_for_the_caller_from_inside_the_algorithm(accounts: Accounts) -> None:
    alice = login(accounts, "alice", frozenset({"algo:call", "algo:manage", "data:read"}))
    accounts.create_org("acme", "alice", caller=alice)
    token = accounts.call_token(alice, "acme/digits", ttl=30)
    assert token.startswith("mpt_") and "." in token
    for header in (token, f"Bearer {token}", f"Simple {token}"):
        acting = inside(accounts, header)
        assert acting.account.name == "alice"
        assert acting.via == "acme/digits"
        assert acting.orgs == {"acme"}
        # at most algo:call, data:read and data:write, and never more than the caller had
        assert acting.scopes == {"algo:call", "data:read"}
    assert claims(token)["g"] == "acme/digits"


def test_an_admin_token_is_not_an_admin(accounts: Accounts) -> None:
    admin = login(accounts, "admin", ALL_SCOPES)
    acting = inside(accounts, accounts.call_token(admin, "admin/x", ttl=30))
    assert acting.scopes == {"algo:call", "data:read", "data:write"}
    assert not acting.is_admin and not acting.owns("alice")
    with pytest.raises(Forbidden):
        acting.require("algo:manage")


def test_tokens_cannot_manage_keys_or_accounts(accounts: Accounts) -> None:
    alice = login(accounts, "alice", ALL_SCOPES - {"admin"})
    acting = inside(accounts, accounts.call_token(alice, "alice/x", ttl=30))
    with pytest.raises(Forbidden, match="call token"):
        accounts.create_key("alice", frozenset({"algo:call"}), by=acting)
    with pytest.raises(Forbidden, match="call token"):
        accounts.revoke_key(acting, accounts.keys("alice")[0].id)
    with pytest.raises(Forbidden, match="call token"):
        accounts.create_org("acme", "alice", caller=acting)


def test_tokens_expire(accounts: Accounts, clock: Clock) -> None:
    alice = login(accounts, "alice", frozenset({"algo:call"}))
    token = accounts.call_token(alice, "alice/x", ttl=10)
    clock.now += 9.9
    assert inside(accounts, token).account.name == "alice"
    clock.now += 0.2
    with pytest.raises(Unauthorized, match="expired"):
        inside(accounts, token)


def test_forged_tokens_are_refused(accounts: Accounts) -> None:
    alice = login(accounts, "alice", frozenset({"algo:call"}))
    token = accounts.call_token(alice, "alice/x", ttl=30)
    payload, signature = token.removeprefix("mpt_").split(".")
    admin_id = accounts.account("admin").id
    raised = {**claims(token), "a": admin_id, "s": ["algo:call", "data:write"]}
    forged = base64.urlsafe_b64encode(json.dumps(raised).encode()).rstrip(b"=").decode()
    for bad in (
        f"mpt_{forged}.{signature}",  # someone else's identity under alice's signature
        f"mpt_{payload}.{signature[:-2]}",
        f"mpt_{payload}.",
        f"mpt_{payload}",
        "mpt_",
        "mpt_!!!.???",
    ):
        with pytest.raises(Unauthorized, match="invalid token"):
            inside(accounts, bad)


def test_the_secret_signs(store: MemoryStore, accounts: Accounts, clock: Clock) -> None:
    alice = login(accounts, "alice", frozenset({"algo:call"}))
    token = accounts.call_token(alice, "alice/x", ttl=30)
    other = Accounts(store, token_secret=b"another secret", wall_clock=clock)
    with pytest.raises(Unauthorized, match="invalid token"):
        other.authenticate(token, other.channel_proof)
    # the same secret in a new process (a restart) still accepts it, with the same proof
    again = Accounts(store, token_secret=b"s" * 32, wall_clock=clock)
    assert again.channel_proof == accounts.channel_proof != other.channel_proof
    assert again.authenticate(token, again.channel_proof).via == "alice/x"


def test_a_signed_token_with_bad_claims_is_invalid(accounts: Accounts) -> None:
    payload = base64.urlsafe_b64encode(b'{"a": "x"}').rstrip(b"=").decode()
    token = f"mpt_{payload}.{accounts._tokens._sign(payload)}"
    with pytest.raises(Unauthorized, match="invalid token"):
        inside(accounts, token)
    payload = base64.urlsafe_b64encode(b'{"a":"ghost","s":[],"g":"a/b","e":9e12}').decode()
    token = f"mpt_{payload}.{accounts._tokens._sign(payload)}"
    with pytest.raises(Unauthorized, match="no longer exists"):
        inside(accounts, token)


def test_a_token_works_only_through_a_workers_channel(accounts: Accounts) -> None:
    alice = login(accounts, "alice", frozenset({"algo:call"}))
    token = accounts.call_token(alice, "alice/x", ttl=30)
    for proof in (None, "", "a guess", accounts.channel_proof[:-1]):
        with pytest.raises(Unauthorized, match="only from inside the call"):
            accounts.authenticate(token, proof)
        with pytest.raises(Unauthorized, match="only from inside the call"):
            accounts.cached(token, proof)
    assert inside(accounts, token).via == "alice/x"


def test_revoking_a_key_revokes_the_tokens_of_calls_made_with_it(accounts: Accounts) -> None:
    key = accounts.create_key("alice", frozenset({"algo:call", "data:read"}))
    kept = login(accounts, "alice", frozenset({"algo:call"}))
    alice = accounts.authenticate(key)
    token = accounts.call_token(alice, "alice/x", ttl=600)
    acting = inside(accounts, token)
    nested = accounts.call_token(acting, "alice/y", ttl=600)  # a call the algorithm made
    other = accounts.call_token(kept, "alice/x", ttl=600)
    assert inside(accounts, nested).via == "alice/y"
    assert inside(accounts, nested).key_id == alice.key_id  # the same key, one level down
    assert accounts.cached(nested, accounts.channel_proof) == inside(accounts, nested)
    owner = accounts.call_token(Principal(alice.account, alice.scopes), "alice/x", ttl=600)
    accounts.revoke_key(alice, alice.key_id or "")
    for revoked in (token, nested):
        with pytest.raises(Unauthorized, match="revoked"):
            inside(accounts, revoked)
        with pytest.raises(Unauthorized, match="revoked"):
            accounts.cached(revoked, accounts.channel_proof)
    assert inside(accounts, other).account.name == "alice"  # another key's calls go on
    assert inside(accounts, owner).account.name == "alice"  # load(): made through no key
