"""``/v1/sessions``: signing the web UI in (a password or an API key) and out.

The session lives in an HttpOnly, SameSite=Strict cookie that page scripts cannot read; its
CSRF token comes back in the body and in a readable cookie, and every change a session asks
for must carry it in ``X-CSRF-Token`` (``http/auth.py``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from modelport.errors import InvalidInput, Unauthorized, UnsupportedContentType
from modelport.http.accounts import account_view
from modelport.http.auth import CSRF_COOKIE, SESSION_COOKIE, caller_on_loop, cookie
from modelport.http.bodies import read_json
from modelport.services.platform import Platform
from modelport.services.principal import Principal

router = APIRouter(prefix="/v1", tags=["sessions"])


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _view(principal: Principal, csrf: str) -> dict[str, Any]:
    return {
        "account": account_view(principal.account),
        "scopes": sorted(principal.scopes),
        "csrf_token": csrf,
    }


def _set_cookies(response: Response, p: Platform, token: str | None) -> None:
    """Set (or, with None, clear) the session and CSRF cookies."""
    secure = p.base_url.startswith("https://")
    age = int(p.sessions.lifetime.total_seconds()) if token else 0
    for name, value, http_only in (
        (SESSION_COOKIE, token or "", True),
        (CSRF_COOKIE, p.sessions.csrf_token(token) if token else "", False),
    ):
        response.set_cookie(
            name, value, max_age=age, path="/", secure=secure, httponly=http_only, samesite="strict"
        )


@router.post("/sessions")
async def sign_in(request: Request) -> Response:
    """``{"username", "password"}`` or ``{"api_key"}``: a session for the web UI."""
    p = _platform(request)
    if not request.headers.get("content-type", "").startswith("application/json"):
        # a cross-site HTML form cannot send JSON: no signing a victim in to another account
        raise UnsupportedContentType("sign in with a JSON body (Content-Type: application/json)")
    data = await read_json(request, 64 * 2**10)
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    client = request.client.host if request.client else "-"
    key, username, password = data.get("api_key"), data.get("username"), data.get("password")
    if isinstance(key, str) and key:
        token, principal = await asyncio.to_thread(p.sessions.sign_in_with_key, key, client)
    elif isinstance(username, str) and isinstance(password, str) and username and password:
        token, principal = await asyncio.to_thread(p.sessions.sign_in, username, password, client)
    else:
        raise InvalidInput('sign in with {"username", "password"} or {"api_key"}')
    response = JSONResponse(_view(principal, p.sessions.csrf_token(token)))
    _set_cookies(response, p, token)
    return response


def _session(request: Request) -> str:
    token = cookie(request.headers.get("cookie"), SESSION_COOKIE)
    if token is None:
        raise Unauthorized("not signed in")
    return token


@router.get("/sessions/current")
def current(request: Request) -> dict[str, Any]:
    p, token = _platform(request), _session(request)
    return _view(p.sessions.authenticate(token), p.sessions.csrf_token(token))


@router.delete("/sessions/current", status_code=204)
async def sign_out(request: Request) -> Response:
    p, token = _platform(request), _session(request)
    await caller_on_loop(request)  # a live session, and the CSRF token: no cross-site sign-outs
    await asyncio.to_thread(p.sessions.sign_out, token)
    response = Response(status_code=204)
    _set_cookies(response, p, None)
    return response
