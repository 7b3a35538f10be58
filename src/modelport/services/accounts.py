"""Accounts and API keys: the admin bootstrap, key issue, and who is calling.

A key reads ``mp_<prefix>_<secret>``; the store keeps the prefix (to find the row) and a
SHA-256 of the secret. Keys are 190 bits of randomness, so a fast hash is enough and keeps
authentication off the hot path's budget; results are cached for ``cache_ttl`` seconds so a
call costs no database query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from modelport.core.model import Account, AccountKind, ApiKey
from modelport.core.names import check_owner
from modelport.core.ports import Store
from modelport.errors import AccountNotFound, Conflict, Unauthorized

ALL_SCOPES = frozenset({"algo:call", "algo:manage", "data:read", "data:write", "admin"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    account: Account
    scopes: frozenset[str]

    def owns(self, owner: str) -> bool:
        return self.account.is_admin or self.account.name == owner


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_from_header(authorization: str | None) -> str:
    """``KEY``, ``Simple KEY`` and ``Bearer TOKEN`` all name a key."""
    if not authorization or not authorization.strip():
        raise Unauthorized("authorization required: send 'Authorization: Simple YOUR_API_KEY'")
    scheme, _, rest = authorization.strip().partition(" ")
    if rest and scheme.lower() in ("simple", "bearer"):
        return rest.strip()
    return authorization.strip()


class Accounts:
    def __init__(
        self, store: Store, *, cache_ttl: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._ttl = cache_ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, Principal]] = {}

    def bootstrap_admin(self, name: str) -> str | None:
        """Create the admin account and its first key; return the key, or None if it exists."""
        if self._store.account_by_name(check_owner(name)) is not None:
            return None
        self.create_account(name, is_admin=True)
        return self.create_key(name, ALL_SCOPES, "bootstrap")

    def create_account(self, name: str, *, is_admin: bool = False) -> Account:
        if self._store.account_by_name(check_owner(name)) is not None:
            raise Conflict(f"account {name!r} exists")
        account = Account(str(uuid.uuid4()), name, AccountKind.USER, is_admin, _now())
        self._store.add_account(account)
        return account

    def create_key(self, owner: str, scopes: frozenset[str], name: str = "") -> str:
        account = self._store.account_by_name(owner)
        if account is None:
            raise AccountNotFound(f"no account named {owner!r}")
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
        self._store.add_key(
            ApiKey(str(uuid.uuid4()), account.id, prefix, _digest(secret), scopes, name, _now())
        )
        return f"mp_{prefix}_{secret}"

    def authenticate(self, authorization: str | None) -> Principal:
        token = token_from_header(authorization)
        now = self._clock()
        hit = self._cache.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = self._lookup(token)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (now + self._ttl, principal)
        return principal

    def _lookup(self, token: str) -> Principal:
        parts = token.split("_", 2)
        invalid = Unauthorized("unknown or invalid API key")
        if len(parts) != 3 or parts[0] != "mp":
            raise invalid
        key = self._store.key_by_prefix(parts[1])
        if key is None or key.revoked_at is not None:
            raise invalid
        if not hmac.compare_digest(key.secret_hash, _digest(parts[2])):
            raise invalid
        account = self._store.account_by_id(key.account_id)
        if account is None:
            raise invalid
        return Principal(account, key.scopes)
