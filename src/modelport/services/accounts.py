"""Accounts, organisations, scoped API keys and call tokens; and who is calling.

A key reads ``mp_<prefix>_<secret>``; the store keeps the prefix (to find the row) and a
SHA-256 of the secret. Keys are 190 bits of randomness, so a fast hash is enough and keeps
authentication off the hot path's budget; results are cached for ``cache_ttl`` seconds so a
call costs no database query. Revoking a key drops it from this process's cache at once.

Call tokens (``services/tokens.py``) let an algorithm act for its caller; checking one needs
no query beyond a cached account lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from modelport.core.caches import TtlCache
from modelport.core.model import Account, AccountKind, ApiKey
from modelport.core.names import check_owner
from modelport.core.ports import Store
from modelport.errors import (
    AccountNotFound,
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidName,
    NotFound,
    Unauthorized,
)
from modelport.services.principal import ALL_SCOPES, TOKEN_SCOPES, Principal, token_from_header
from modelport.services.tokens import TOKEN_PREFIX, CallTokens

ANONYMOUS = "anonymous"  # who public demo pages call as (services/demos.py)
RESERVED = frozenset({ANONYMOUS})
KEY_PREFIX = "mp_"
_REVOKED = "call token revoked: the API key the call came through is revoked"


def secret_digest(secret: str) -> str:
    """What the store keeps of a key's or a session's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_secret_token(token: str, marker: str) -> tuple[str, str] | None:
    """The ``(prefix, secret)`` of a key or session token ``<marker><prefix>_<secret>``
    (``marker``: ``KEY_PREFIX`` or ``sessions.SESSION_PREFIX``), or None when ``token`` is
    not one (another marker, or no secret)."""
    if not token.startswith(marker):
        return None
    prefix, _, secret = token.removeprefix(marker).partition("_")
    return (prefix, secret) if secret else None


class Accounts:
    def __init__(
        self,
        store: Store,
        *,
        token_secret: bytes | None = None,
        cache_ttl: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """``token_secret`` signs call tokens (a random one when None: valid in this process
        only); ``clock`` ages the caches; ``wall_clock`` (Unix seconds) dates the tokens."""
        self._store = store
        self._tokens = CallTokens(token_secret, wall_clock=wall_clock)
        self._clock = clock
        self._keys = TtlCache[str, tuple[Principal, str]](cache_ttl)  # key -> (who, key id)
        self._live = TtlCache[str, bool](cache_ttl)  # key id -> not revoked, for call tokens
        self._members = TtlCache[str, tuple[Account, frozenset[str]]](cache_ttl)  # by account id

    # accounts and organisations

    def bootstrap_admin(self, name: str) -> str | None:
        """Create the admin account and its first key; return the key, or None if it exists."""
        if self._store.account_by_name(check_owner(name)) is not None:
            return None
        self.create_user(name, is_admin=True)
        return self.create_key(name, ALL_SCOPES, "bootstrap")

    def create_account(
        self, name: str, *, is_admin: bool = False, kind: AccountKind = AccountKind.USER
    ) -> Account:
        """Raises ``Conflict`` when the name is taken (by a user or an organisation), also in
        another case: ``Alice`` beside ``alice`` would pass for her."""
        account = Account(str(uuid.uuid4()), check_owner(name), kind, is_admin, datetime.now(UTC))
        taken = self._store.account_by_folded_name(name)
        if taken is not None:
            raise Conflict(f"account {name!r} already exists (as {taken.name!r})")
        self._store.add_account(account)
        return account

    def create_user(
        self, name: str, *, is_admin: bool = False, caller: Principal | None = None
    ) -> Account:
        """A user account; ``caller`` (None: trusted code) must be an admin."""
        if caller is not None and not caller.is_admin:
            raise Forbidden("only an admin may create users")
        _check_unreserved(name)
        return self.create_account(name, is_admin=is_admin)

    def create_org(self, name: str, owner_name: str, *, caller: Principal | None = None) -> Account:
        """An organisation whose first member is the user ``owner_name``."""
        if caller is not None:
            self._check_manager(caller, owner_name, "create organisations for")
        owner = self._account(owner_name, AccountKind.USER)
        _check_unreserved(name)
        org = self.create_account(name, kind=AccountKind.ORG)
        self._store.add_member(org.id, owner.id)
        self._forget(owner.id)
        return org

    def account(self, name: str) -> Account:
        found = self._store.account_by_name(name)
        if found is None:
            raise AccountNotFound(f"no account named {name!r}")
        return found

    def add_member(self, org: str, user: str, *, caller: Principal | None = None) -> None:
        if caller is not None:
            self._check_manager(caller, org, "add members to")
        org_account, member = self._account(org, AccountKind.ORG), self._account(user)
        if member.kind != AccountKind.USER:
            raise InvalidInput(f"{user!r} is an organisation; only users can be members")
        self._store.add_member(org_account.id, member.id)
        self._forget(member.id)

    def remove_member(self, org: str, user: str, *, caller: Principal | None = None) -> None:
        """Remove ``user`` from ``org``; a member may always leave."""
        if caller is not None:  # leaving needs no rights over the organisation
            leaving = caller.account.name == user
            self._check_manager(caller, user if leaving else org, "remove members from")
        org_account, member = self._account(org, AccountKind.ORG), self._account(user)
        self._store.remove_member(org_account.id, member.id)
        self._forget(member.id)

    def members(self, org: str, *, caller: Principal | None = None) -> list[Account]:
        if caller is not None and not caller.owns(org):
            raise Forbidden(f"only members of {org} may list its members")
        return self._store.members(self._account(org, AccountKind.ORG).id)

    # keys

    def create_key(
        self, owner: str, scopes: frozenset[str], name: str = "", *, by: Principal | None = None
    ) -> str:
        """A new key for ``owner``, shown once. ``by`` (None: trusted code) must be ``owner``
        or an admin, and hold every scope it gives."""
        unknown = sorted(scopes - ALL_SCOPES)
        if unknown or not scopes:
            raise InvalidInput(
                f"unknown scopes {unknown}" if unknown else "a key needs at least one scope",
                allowed=sorted(ALL_SCOPES),
            )
        account = self.account(owner)
        if by is not None:
            if by.via is not None:
                raise Forbidden("a call token cannot create API keys")
            if by.account.id != account.id and not by.is_admin:
                raise Forbidden(f"only {owner} or an admin may create keys for {owner}")
            missing = by.lacks(scopes)
            if missing:
                raise Forbidden(f"this API key lacks the scopes it would give: {missing}")
        if "admin" in scopes and not account.is_admin:
            raise InvalidInput(f"{owner} is not an admin account; its keys cannot carry 'admin'")
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
        digest, now = secret_digest(secret), datetime.now(UTC)
        parent = by.key_id if by is not None else None
        self._store.add_key(
            ApiKey(
                str(uuid.uuid4()), account.id, prefix, digest, scopes, name, now, parent_id=parent
            )
        )
        return f"{KEY_PREFIX}{prefix}_{secret}"

    def keys(self, account: str) -> list[ApiKey]:
        """The keys of ``account``, newest first (revoked ones too)."""
        return self._store.keys_of(self.account(account).id)

    def revoke_key(self, caller: Principal, key_id: str) -> None:
        """Revoke one of the caller's keys (an admin: any key); effective at once here."""
        if caller.via is not None:
            raise Forbidden("a call token cannot revoke API keys")
        own = any(k.id == key_id for k in self._store.keys_of(caller.account.id))
        if not own and not caller.is_admin:
            raise NotFound(f"you have no API key {key_id!r}")
        # with every key it made, and theirs: a key cannot outlive the one that minted it
        revoked, pending, now = set(), [key_id], datetime.now(UTC)
        while pending:
            current = pending.pop()
            if current not in revoked:
                revoked.add(current)
                self._store.revoke_key(current, now)
                pending += [k.id for k in self._store.keys_made_by(current)]
        self._keys.drop(lambda _token, hit: hit[1] in revoked)
        self._live.drop(lambda key, _live: key in revoked)

    # call tokens

    @property
    def channel_proof(self) -> str:
        """What workers' channels send beside call tokens (``CallTokens.proof``)."""
        return self._tokens.proof

    def call_token(self, principal: Principal, algorithm: str, ttl: float) -> str:
        """A token acting as ``principal`` from inside ``algorithm`` for ``ttl`` seconds, with
        the caller's ``algo:call``, ``data:read`` and ``data:write`` scopes at most."""
        scopes = frozenset(s for s in TOKEN_SCOPES if principal.has(s))
        return self._tokens.mint(principal.account.id, scopes, algorithm, ttl, principal.key_id)

    def _verify(self, token: str, proof: str | None) -> Principal:
        claims = self._tokens.verify(token)
        self._tokens.check_proof(proof)
        if claims.key_id is not None and not self._key_live(claims.account_id, claims.key_id):
            raise Unauthorized(_REVOKED)
        account, orgs = self.member(claims.account_id)
        return Principal(account, claims.scopes, orgs, claims.algorithm, claims.key_id)

    def _key_live(self, account_id: str, key_id: str) -> bool:
        now = self._clock()
        live = self._live.get(key_id, now)
        if live is None:
            keys = self._store.keys_of(account_id)
            live = any(k.id == key_id and k.revoked_at is None for k in keys)
            self._live.put(key_id, live, now)
        return live

    # authentication

    def authenticate(self, authorization: str | None, proof: str | None = None) -> Principal:
        """The caller named by an ``Authorization`` header: an API key, or a call token that
        came through a worker's channel (``proof``: its header)."""
        token = token_from_header(authorization)
        if token.startswith(TOKEN_PREFIX):
            return self._verify(token, proof)  # its account from the cache when there
        now = self._clock()
        hit = self._keys.get(token, now)
        if hit is not None:
            return hit[0]
        principal, key_id = self._lookup(token)
        self._keys.put(token, (principal, key_id), now)
        return principal

    def cached(self, authorization: str | None, proof: str | None = None) -> Principal | None:
        """``authenticate`` from the caches alone, with no store query: ``None`` when it would
        query the store. Raises as ``authenticate`` does for malformed or forged credentials."""
        token = token_from_header(authorization)
        now = self._clock()
        if token.startswith(TOKEN_PREFIX):
            claims = self._tokens.verify(token)
            self._tokens.check_proof(proof)
            member = self._members.get(claims.account_id, now)
            live = True if claims.key_id is None else self._live.get(claims.key_id, now)
            if member is None or live is None:
                return None
            if not live:
                raise Unauthorized(_REVOKED)
            return Principal(member[0], claims.scopes, member[1], claims.algorithm, claims.key_id)
        hit = self._keys.get(token, now)
        return None if hit is None else hit[0]

    def _lookup(self, token: str) -> tuple[Principal, str]:
        parts = split_secret_token(token, KEY_PREFIX)
        invalid = Unauthorized("unknown or invalid API key")
        if parts is None:
            raise invalid
        prefix, secret = parts
        key = self._store.key_by_prefix(prefix)
        if key is None or key.revoked_at is not None:
            raise invalid
        if not hmac.compare_digest(key.secret_hash, secret_digest(secret)):
            raise invalid
        account, orgs = self.member(key.account_id)
        return Principal(account, key.scopes, orgs, key_id=key.id), key.id

    def member(self, account_id: str) -> tuple[Account, frozenset[str]]:
        """An account and its organisations' names, cached for ``cache_ttl`` seconds."""
        now = self._clock()
        hit = self._members.get(account_id, now)
        if hit is not None:
            return hit
        account = self._store.account_by_id(account_id)
        if account is None:
            raise Unauthorized(f"account {account_id!r} no longer exists")
        orgs = frozenset(o.name for o in self._store.organizations_of(account_id))
        self._members.put(account_id, (account, orgs), now)
        return account, orgs

    def _forget(self, account_id: str) -> None:
        """Drop what is cached about an account whose memberships changed."""
        self._members.pop(account_id)
        self._keys.drop(lambda _token, hit: hit[0].account.id == account_id)

    # rules

    def _account(self, name: str, kind: AccountKind | None = None) -> Account:
        found = self.account(name)
        if kind is not None and found.kind != kind:
            what = "a user" if kind == AccountKind.USER else "an organisation"
            raise InvalidInput(f"{name!r} is not {what}")
        return found

    @staticmethod
    def _check_manager(caller: Principal, owner: str, what: str) -> None:
        if caller.via is not None:
            raise Forbidden("a call token cannot change accounts")
        caller.require("algo:manage")
        if not caller.owns(owner):
            raise Forbidden(f"{caller.account.name} may not {what} {owner}")


def _check_unreserved(name: str) -> None:
    """Names the platform keeps for itself, in any case, are no user's or organisation's."""
    if name.lower() in RESERVED:
        raise InvalidName(f"{name!r} is reserved: choose another name")
