"""``/v1/users``, ``/v1/organizations`` and ``/v1/keys``: accounts, members and API keys.

Users are created by admins; any user creates organisations (and is their first member);
members with the ``algo:manage`` scope add and remove members. A key is shown once, when it
is created; afterwards only its id, name, prefix and scopes are.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from modelport.core.model import Account, AccountKind, ApiKey
from modelport.errors import Forbidden, InvalidInput
from modelport.http.auth import caller_of, caller_on_loop
from modelport.http.bodies import read_json
from modelport.http.views import page, timestamp
from modelport.services.platform import Platform
from modelport.services.principal import Principal
from modelport.services.sessions import check_password

router = APIRouter(prefix="/v1", tags=["accounts"])

# What a new key gets when the request names no scopes (intersected with the creator's).
DEFAULT_SCOPES = ("algo:call", "algo:manage", "data:read", "data:write")


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def _body(request: Request) -> dict[str, Any]:
    data = await read_json(request, _platform(request).max_body_bytes)
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    return data


def _text(data: dict[str, Any], *names: str) -> str:
    """The first of ``names`` present in the body, as a string (``InvalidInput`` if none)."""
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value:
            return value
    raise InvalidInput(f"{names[0]} is required")


def account_view(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "type": "organization" if account.kind == AccountKind.ORG else "user",
        "admin": account.is_admin,
        "created_at": timestamp(account.created_at),
    }


def key_view(key: ApiKey) -> dict[str, Any]:
    """A key without its secret (only a hash of it is stored anyway)."""
    return {
        "id": key.id,
        "name": key.name,
        "prefix": f"mp_{key.prefix}_",
        "scopes": sorted(key.scopes),
        "created_at": timestamp(key.created_at),
        "revoked_at": timestamp(key.revoked_at),
    }


# users


@router.post("/users")
async def create_user(request: Request) -> dict[str, Any]:
    """Create a user (admins only): ``{"username": "bob", "password": "…", "admin": false}``."""
    caller, data, p = await caller_on_loop(request), await _body(request), _platform(request)
    password = check_password(data["password"]) if "password" in data else None
    account = await asyncio.to_thread(
        p.accounts.create_user,
        _text(data, "username", "name"),
        is_admin=data.get("admin") is True,
        caller=caller,
    )
    if password is not None:
        await asyncio.to_thread(p.sessions.set_password, account.name, password)
    return account_view(account)


@router.put("/users/{name}/password", status_code=204)
async def set_password(name: str, request: Request) -> Response:
    """Set a password for signing in to the web UI (the user or an admin): ``{"password"}``."""
    caller, data, p = await caller_on_loop(request), await _body(request), _platform(request)
    password = check_password(data.get("password"))
    await asyncio.to_thread(p.sessions.set_password, name, password, caller=caller)
    return Response(status_code=204)


@router.get("/users/{name}")
def get_user(name: str, request: Request) -> dict[str, Any]:
    caller_of(request)
    return account_view(_platform(request).accounts.account(name))


# organisations


@router.post("/organizations")
async def create_organization(request: Request) -> dict[str, Any]:
    """Create an organisation with the caller as its first member: ``{"name": "acme"}``."""
    caller, data = await caller_on_loop(request), await _body(request)
    accounts = _platform(request).accounts
    name = _text(data, "name", "org_name")
    org = await asyncio.to_thread(accounts.create_org, name, caller.account.name, caller=caller)
    return account_view(org) | {"members": [caller.account.name]}


@router.get("/organizations/{org}")
def get_organization(org: str, request: Request) -> dict[str, Any]:
    caller_of(request)
    return account_view(_platform(request).accounts.account(org))


@router.get("/organizations/{org}/members")
def list_members(org: str, request: Request) -> dict[str, Any]:
    accounts = _platform(request).accounts
    return page([account_view(a) for a in accounts.members(org, caller=caller_of(request))])


@router.post("/organizations/{org}/members")
async def add_member(org: str, request: Request) -> dict[str, Any]:
    """Add a user: ``{"username": "bob"}``; answers the members."""
    caller, data = await caller_on_loop(request), await _body(request)
    return await asyncio.to_thread(_add, _platform(request), caller, org, _text(data, "username"))


@router.put("/organizations/{org}/members/{user}")
def put_member(org: str, user: str, request: Request) -> dict[str, Any]:
    """The Algorithmia client's ``invite_to_org``: the same as adding ``user``."""
    return _add(_platform(request), caller_of(request), org, user)


@router.delete("/organizations/{org}/members/{user}")
def remove_member(org: str, user: str, request: Request) -> dict[str, Any]:
    """Remove a member (a member may always remove itself); answers the members left."""
    p, caller = _platform(request), caller_of(request)
    p.accounts.remove_member(org, user, caller=caller)
    return page([account_view(a) for a in p.accounts.members(org)])


def _add(p: Platform, caller: Principal, org: str, user: str) -> dict[str, Any]:
    p.accounts.add_member(org, user, caller=caller)
    return page([account_view(a) for a in p.accounts.members(org)])


# keys


@router.get("/keys")
def list_keys(request: Request, username: str | None = None) -> dict[str, Any]:
    """The caller's keys (an admin: ``?username=`` for someone else's), newest first."""
    p, caller = _platform(request), caller_of(request)
    name = username or caller.account.name
    if name != caller.account.name and not caller.is_admin:
        raise Forbidden("only an admin may list another account's keys")
    return page([key_view(k) for k in p.accounts.keys(name)])


@router.post("/keys")
async def create_key(request: Request) -> dict[str, Any]:
    """``{"name": "ci", "scopes": ["algo:call"], "username": "bob"}`` (``username``: admins).

    Answers ``{"key": "mp_…", …}``: the only time the key is shown."""
    p, caller, data = _platform(request), await caller_on_loop(request), await _body(request)
    scopes = data.get("scopes")
    if scopes is None:
        scopes = [s for s in DEFAULT_SCOPES if caller.has(s)]
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise InvalidInput("scopes must be a list of strings")
    owner = str(data.get("username") or caller.account.name)
    name = data.get("name") or ""
    if not isinstance(name, str):
        raise InvalidInput("name must be a string")
    return await asyncio.to_thread(_create_key, p, caller, owner, frozenset(scopes), name)


def _create_key(
    p: Platform, caller: Principal, owner: str, scopes: frozenset[str], name: str
) -> dict[str, Any]:
    key = p.accounts.create_key(owner, scopes, name, by=caller)
    stored = next(k for k in p.accounts.keys(owner) if key.startswith(f"mp_{k.prefix}_"))
    return {"key": key, "username": owner} | key_view(stored)


@router.delete("/keys/{key_id}")
def revoke_key(key_id: str, request: Request) -> dict[str, Any]:
    """Revoke a key of the caller's (an admin: any key); it stops working at once."""
    _platform(request).accounts.revoke_key(caller_of(request), key_id)
    return {"revoked": key_id}
