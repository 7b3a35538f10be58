"""Who sent a request: an ``Authorization`` header (an API key or a call token), else the web
UI's session cookie, whose changes must echo the session's CSRF token in a header."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from starlette.requests import Request

from modelport.core.calls import PROOF_HEADER
from modelport.services.platform import Platform
from modelport.services.principal import Principal

SESSION_COOKIE = "mp_session"
CSRF_COOKIE = "mp_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie(header: str | None, name: str) -> str | None:
    """The value of cookie ``name`` in a ``Cookie`` header."""
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip('"') or None
    return None


def authenticate(platform: Platform, headers: Mapping[str, str], method: str) -> Principal:
    """``headers`` by lower-case name. Raises ``Unauthorized`` or (a change without its CSRF
    token) ``Forbidden``."""
    authorization = headers.get("authorization")
    session = None if authorization else cookie(headers.get("cookie"), SESSION_COOKIE)
    if session is None:
        return platform.accounts.authenticate(authorization, headers.get(PROOF_HEADER))
    principal = platform.sessions.authenticate(session)
    if method not in SAFE_METHODS:
        platform.sessions.check_csrf(session, headers.get(CSRF_HEADER))
    return principal


async def authenticate_on_loop(
    platform: Platform, headers: Mapping[str, str], method: str
) -> Principal:
    """``authenticate`` for a handler on the event loop: from the caches when they know the
    key or token, else in a thread. Looking a caller up queries the store (PostgreSQL, on a
    cluster), and a query on the loop would stall every other request while it runs."""
    authorization = headers.get("authorization")
    if authorization:
        known = platform.accounts.cached(authorization, headers.get(PROOF_HEADER))
        if known is not None:
            return known
    return await asyncio.to_thread(authenticate, platform, headers, method)


def caller_of(request: Request) -> Principal:
    """The caller, for handlers that run in a thread (``def`` endpoints)."""
    platform: Platform = request.app.state.platform
    return authenticate(platform, request.headers, request.method)


async def caller_on_loop(request: Request) -> Principal:
    """The caller, for ``async def`` endpoints (``authenticate_on_loop``)."""
    platform: Platform = request.app.state.platform
    return await authenticate_on_loop(platform, request.headers, request.method)
