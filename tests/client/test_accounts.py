"""``Client`` methods for users, organisations and keys."""

from __future__ import annotations

import pytest

from modelport.client import Client
from modelport.errors import AccountNotFound, Forbidden
from tests.client.fake_api import FakeApi, body_json, error

MEMBERS = {"marker": None, "next_link": None, "results": [{"name": "alice"}, {"name": "bob"}]}


def test_users_and_orgs(client: Client, api: FakeApi) -> None:
    api.json("POST", "/v1/users", {"name": "bob", "admin": False})
    api.json("GET", "/v1/users/bob", {"name": "bob"})
    api.json("POST", "/v1/organizations", {"name": "acme", "members": ["alice"]})
    api.json("POST", "/v1/organizations/acme/members", MEMBERS)
    api.json("GET", "/v1/organizations/acme/members", MEMBERS)
    api.json("DELETE", "/v1/organizations/acme/members/bob", {"results": [{"name": "alice"}]})

    assert client.create_user("bob")["name"] == "bob"
    assert body_json(api.last("POST", "/v1/users")) == {"username": "bob", "admin": False}
    client.create_user("root", admin=True)
    assert body_json(api.last("POST", "/v1/users"))["admin"] is True
    assert client.account("bob") == {"name": "bob"}
    assert client.create_org("acme")["members"] == ["alice"]
    assert body_json(api.last("POST", "/v1/organizations")) == {"name": "acme"}
    assert [m["name"] for m in client.add_member("acme", "bob")] == ["alice", "bob"]
    assert body_json(api.last("POST", "/v1/organizations/acme/members")) == {"username": "bob"}
    assert [m["name"] for m in client.members("acme")] == ["alice", "bob"]
    assert [m["name"] for m in client.remove_member("acme", "bob")] == ["alice"]


def test_keys(client: Client, api: FakeApi) -> None:
    api.json("GET", "/v1/keys", {"results": [{"id": "k1", "scopes": ["algo:call"]}]})
    api.json("POST", "/v1/keys", {"key": "mp_x_y", "id": "k2"})
    api.json("DELETE", "/v1/keys/k1", {"revoked": "k1"})
    assert client.keys() == [{"id": "k1", "scopes": ["algo:call"]}]
    assert "username" not in api.last("GET", "/v1/keys").url.params
    client.keys(user="bob")
    assert api.last("GET", "/v1/keys").url.params["username"] == "bob"
    assert client.create_key(["data:read", "algo:call", "data:read"], name="ci")["key"] == "mp_x_y"
    sent = body_json(api.last("POST", "/v1/keys"))
    assert sent == {"name": "ci", "scopes": ["algo:call", "data:read"]}
    client.create_key(user="bob")
    assert body_json(api.last("POST", "/v1/keys")) == {"name": "", "username": "bob"}
    client.revoke_key("k1")
    assert api.last().method == "DELETE"


def test_errors_come_back_as_their_classes(client: Client, api: FakeApi) -> None:
    api.on("POST", "/v1/users", error(403, "forbidden", "only an admin may create users"))
    api.on("POST", "/v1/organizations/acme/members", error(404, "account_not_found", "no bob"))
    with pytest.raises(Forbidden, match="only an admin"):
        client.create_user("bob")
    with pytest.raises(AccountNotFound):
        client.add_member("acme", "bob")
