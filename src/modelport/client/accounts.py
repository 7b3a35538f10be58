"""Users, organisations and API keys from Python (mixed into ``Client``).

>>> with Client() as admin:                                           # doctest: +SKIP
...     admin.create_user("bob")
...     key = admin.create_key(["algo:call"], name="bob's laptop", user="bob")["key"]
...     admin.revoke_key(admin.keys(user="bob")[0]["id"])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from modelport.client.client import Client

JSON = dict[str, Any]


class AccountsMixin:
    """``Client.create_user``, ``create_org``, ``add_member``, ``keys``, ``create_key``, …"""

    def _api(self) -> Client:
        return cast("Client", self)

    def account(self, name: str) -> JSON:
        """A user or organisation: ``id``, ``name``, ``type``, ``admin``, ``created_at``."""
        return self._api()._object("GET", f"/v1/users/{name}")

    def create_user(self, name: str, *, admin: bool = False, password: str | None = None) -> JSON:
        """Create a user account (the key must be an admin's); ``password`` lets it sign in
        to the web UI."""
        body: JSON = {"username": name, "admin": admin}
        if password is not None:
            body["password"] = password
        return self._api()._object("POST", "/v1/users", json=body)

    def set_password(self, name: str, password: str) -> None:
        """Set ``name``'s web UI password (your own, or anyone's with an admin key)."""
        self._api()._json("PUT", f"/v1/users/{name}/password", json={"password": password})

    def create_org(self, name: str) -> JSON:
        """Create an organisation with this key's user as its first member."""
        return self._api()._object("POST", "/v1/organizations", json={"name": name})

    def members(self, org: str) -> list[JSON]:
        return self._api()._results(f"/v1/organizations/{org}/members")

    def add_member(self, org: str, user: str) -> list[JSON]:
        """Add ``user`` to ``org``; the members after."""
        path = f"/v1/organizations/{org}/members"
        data = self._api()._object("POST", path, json={"username": user})
        return _results(data)

    def remove_member(self, org: str, user: str) -> list[JSON]:
        """Remove ``user`` from ``org`` (anyone may leave); the members after."""
        data = self._api()._object("DELETE", f"/v1/organizations/{org}/members/{user}")
        return _results(data)

    def keys(self, *, user: str | None = None) -> list[JSON]:
        """This key's account's keys, newest first (``user``: another's, for admins).

        Each has ``id``, ``name``, ``prefix``, ``scopes``, ``created_at``, ``revoked_at``."""
        params = {"username": user} if user else None
        data = self._api()._object("GET", "/v1/keys", params=params)
        return _results(data)

    def create_key(
        self, scopes: Iterable[str] | None = None, *, name: str = "", user: str | None = None
    ) -> JSON:
        """A new key; ``["key"]`` is its secret, shown only this once. Scopes default to this
        key's ``algo:call``, ``algo:manage``, ``data:read`` and ``data:write``."""
        body: JSON = {"name": name}
        if scopes is not None:
            body["scopes"] = sorted(set(scopes))
        if user:
            body["username"] = user
        return self._api()._object("POST", "/v1/keys", json=body)

    def revoke_key(self, key_id: str) -> None:
        """Revoke a key by its id; it stops working at once."""
        self._api()._object("DELETE", f"/v1/keys/{key_id}")


def _results(data: JSON) -> list[JSON]:
    results = data.get("results", [])
    return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []
