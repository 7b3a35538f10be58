"""Passwords and browser sessions: how the web UI signs in.

A password is stored as scrypt (stdlib ``hashlib``; n=2^14, r=8, p=1, 16-byte salt). Signing
in, with a password or with an API key, opens a session: ``mps_<prefix>_<secret>``, stored
like a key (prefix and SHA-256 of the secret), carrying the scopes it was opened with (all of
a user's for a password; the key's own for a key) and expiring after ``lifetime``. The HTTP
layer keeps it in an HttpOnly cookie; its CSRF token is an HMAC of the session's secret, so
it needs no storage and a page script can hold it without holding the session.

Failed sign-ins are rate limited per user name and per client address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from modelport.core.caches import TtlCache
from modelport.core.limits import RateLimit
from modelport.core.model import Session
from modelport.core.ports import Store
from modelport.errors import Forbidden, InvalidInput, RateLimited, Unauthorized
from modelport.services.accounts import KEY_PREFIX, Accounts, secret_digest, split_secret_token
from modelport.services.principal import ALL_SCOPES, Principal

SESSION_PREFIX = "mps_"
MIN_PASSWORD = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def password_matches(password: str, stored: str) -> bool:
    scheme, _, rest = stored.partition("$")
    salt, _, digest = rest.partition("$")
    if scheme != "scrypt" or not digest:
        return False
    found = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32, **_SCRYPT)
    return hmac.compare_digest(found, base64.b64decode(digest))


def check_password(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise InvalidInput("a password may have at most 1024 characters")
    return password


class Sessions:
    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        *,
        lifetime: timedelta = timedelta(days=7),
        cache_ttl: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        failures_per_minute: float = 5.0,
        secret: bytes | None = None,
    ) -> None:
        """``secret`` keys the CSRF tokens (random when None: valid in this process only)."""
        self._store, self._accounts = store, accounts
        self.lifetime, self._clock = lifetime, clock
        self._failures = RateLimit(failures_per_minute, burst=10, clock=clock)
        self._cache = TtlCache[str, Principal](cache_ttl)  # token -> who
        self._csrf_key = hashlib.sha256(b"csrf:" + (secret or secrets.token_bytes(32))).digest()

    # passwords

    def set_password(self, name: str, password: str, *, caller: Principal | None = None) -> None:
        """Set ``name``'s password; ``caller`` (None: trusted code) must be ``name`` or an
        admin, through neither a call token nor another's key."""
        account = self._accounts.account(name)
        if caller is not None:
            if caller.via is not None:
                raise Forbidden("a call token cannot change passwords")
            if caller.account.id != account.id and not caller.is_admin:
                raise Forbidden(f"only {name} or an admin may set {name}'s password")
            # a password signs in with every scope: a narrower key must not be a way up
            granted = ALL_SCOPES if account.is_admin else ALL_SCOPES - {"admin"}
            missing = caller.lacks(granted)
            if missing:
                raise Forbidden(
                    "a password signs in with every scope, so setting one needs a key that"
                    f" already has them; this one lacks {missing}"
                )
        check_password(password)
        self._store.set_password(account.id, hash_password(password))

    # signing in and out

    def sign_in(self, username: str, password: str, client: str) -> tuple[str, Principal]:
        """A new session for a user's password; ``Unauthorized`` for any wrong detail (one
        message: which part was wrong is not told), ``RateLimited`` after repeated failures."""
        self._throttle(username, client)
        found = self._store.account_by_name(username)
        stored = self._store.password_hash(found.id) if found is not None else None
        if found is None or stored is None or not password_matches(password, stored):
            self._failed(username, client)
            raise Unauthorized("wrong user name or password")
        scopes = ALL_SCOPES if found.is_admin else ALL_SCOPES - {"admin"}
        return self._open(found.id, scopes)

    def sign_in_with_key(self, api_key: str, client: str) -> tuple[str, Principal]:
        """A new session carrying an API key's scopes (not a call token's or a session's)."""
        self._throttle("", client)
        if not api_key.startswith(KEY_PREFIX):
            self._failed("", client)
            raise Unauthorized("unknown or invalid API key")
        try:
            principal = self._accounts.authenticate(api_key)
        except Unauthorized:
            self._failed("", client)
            raise
        return self._open(principal.account.id, principal.scopes)

    def sign_out(self, token: str) -> None:
        session = self._find(token)
        if session is not None:
            self._store.end_session(session.id, datetime.now(UTC))
        self._cache.pop(token)

    # checking

    def authenticate(self, token: str) -> Principal:
        now = self._clock()
        hit = self._cache.get(token, now)
        if hit is not None:
            return hit
        session = self._find(token)
        if session is None or session.ended_at is not None:
            raise Unauthorized("signed out: sign in again")
        if session.expires_at <= datetime.now(UTC):
            raise Unauthorized("the session expired: sign in again")
        account, orgs = self._accounts.member(session.account_id)
        principal = Principal(account, session.scopes, orgs)
        self._cache.put(token, principal, now)
        return principal

    def csrf_token(self, token: str) -> str:
        """What a page must echo in ``X-CSRF-Token`` with each change it asks for."""
        return hmac.new(self._csrf_key, token.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, token: str, sent: str | None) -> None:
        if not sent or not hmac.compare_digest(sent, self.csrf_token(token)):
            raise Forbidden("missing or wrong X-CSRF-Token header (reload the page)")

    # internals

    def _open(self, account_id: str, scopes: frozenset[str]) -> tuple[str, Principal]:
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        session_id = str(uuid.uuid4())
        self._store.add_session(
            Session(
                session_id,
                account_id,
                prefix,
                secret_digest(secret),
                scopes,
                now,
                now + self.lifetime,
            )
        )
        token = f"{SESSION_PREFIX}{prefix}_{secret}"
        return token, self.authenticate(token)

    def _find(self, token: str) -> Session | None:
        parts = split_secret_token(token, SESSION_PREFIX)
        if parts is None:
            return None
        prefix, secret = parts
        session = self._store.session_by_prefix(prefix)
        if session is None or not hmac.compare_digest(session.secret_hash, secret_digest(secret)):
            return None
        return session

    def _throttle(self, username: str, client: str) -> None:
        for who in (f"user:{username}", f"client:{client}"):
            wait = self._failures.wait(who)
            if wait > 0:
                raise RateLimited(
                    f"too many failed sign-ins: try again in {wait:.0f} s",
                    retry_after=max(1, round(wait)),
                )

    def _failed(self, username: str, client: str) -> None:
        self._failures.take(f"user:{username}")
        self._failures.take(f"client:{client}")
