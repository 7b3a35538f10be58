"""Users, organisations and keys over HTTP, against a real gateway."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.fixtures.server import Live

Login = Callable[..., httpx.Client]


@pytest.fixture(scope="module")
def login(live: Live) -> Iterator[Login]:
    """``login("name", scopes)``: a client with a new key for that user (created if needed)."""
    clients: list[httpx.Client] = []

    def make(name: str, scopes: tuple[str, ...] = ("algo:call", "algo:manage")) -> httpx.Client:
        if live.http.get(f"/v1/users/{name}").status_code == 404:
            assert live.http.post("/v1/users", json={"username": name}).status_code == 200
        r = live.http.post("/v1/keys", json={"username": name, "scopes": list(scopes)})
        assert r.status_code == 200, r.text
        client = httpx.Client(base_url=live.url, headers={"Authorization": r.json()["key"]})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def error(response: httpx.Response) -> dict[str, str]:
    return dict(response.json()["error"])


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [m["name"] for m in response.json()["results"]]


def test_users(live: Live, login: Login) -> None:
    r = live.http.post("/v1/users", json={"username": "u_dora", "admin": False})
    assert r.status_code == 200, r.text
    dora = r.json()
    assert (dora["name"], dora["type"], dora["admin"]) == ("u_dora", "user", False)
    assert dora["id"] and dora["created_at"].endswith("Z")
    assert live.http.get("/v1/users/u_dora").json() == dora
    r = live.http.post("/v1/users", json={"username": "u_dora"})
    assert (r.status_code, error(r)["code"]) == (409, "conflict")
    r = live.http.post("/v1/users", json={"username": "not valid!"})
    assert (r.status_code, error(r)["code"]) == (400, "invalid_name")
    r = live.http.post("/v1/users", json={})
    assert (r.status_code, error(r)["code"]) == (400, "invalid_input")
    assert live.http.get("/v1/users/u_nobody").status_code == 404
    # only admins create users; anyone with a key reads them
    user = login("u_erin")
    r = user.post("/v1/users", json={"username": "u_frank"})
    assert (r.status_code, error(r)["code"]) == (403, "forbidden")
    assert user.get("/v1/users/u_dora").json()["name"] == "u_dora"
    assert httpx.get(f"{live.url}/v1/users/u_dora").status_code == 401


def test_organisations_and_members(live: Live, login: Login) -> None:
    alice, bob, carol = login("o_alice"), login("o_bob"), login("o_carol")
    r = alice.post("/v1/organizations", json={"name": "o_acme"})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["type"], r.json()["members"]) == (
        "o_acme",
        "organization",
        ["o_alice"],
    )
    assert alice.get("/v1/organizations/o_acme").json()["type"] == "organization"
    assert names(alice.post("/v1/organizations/o_acme/members", json={"username": "o_bob"})) == [
        "o_alice",
        "o_bob",
    ]
    # a member (with algo:manage) adds others; the Algorithmia client's PUT works too
    r = bob.put("/v1/organizations/o_acme/members/o_nobody")
    assert (r.status_code, error(r)["code"]) == (404, "account_not_found")
    r = bob.put("/v1/organizations/o_acme/members/o_carol")
    assert names(r) == ["o_alice", "o_bob", "o_carol"]
    assert names(live.http.get("/v1/organizations/o_acme/members")) == [
        "o_alice",
        "o_bob",
        "o_carol",
    ]
    # strangers may neither change nor list the members
    stranger = login("o_stranger")
    r = stranger.post("/v1/organizations/o_acme/members", json={"username": "o_stranger"})
    assert (r.status_code, error(r)["code"]) == (403, "forbidden")
    assert stranger.get("/v1/organizations/o_acme/members").status_code == 403
    # a member whose key lacks algo:manage cannot change members
    reader = login("o_carol", ("data:read",))
    r = reader.delete("/v1/organizations/o_acme/members/o_bob")
    assert r.status_code == 403 and "algo:manage" in error(r)["message"]
    # anyone may leave; removing a non-member is a 404
    assert names(carol.delete("/v1/organizations/o_acme/members/o_carol")) == ["o_alice", "o_bob"]
    r = alice.delete("/v1/organizations/o_acme/members/o_carol")
    assert r.status_code == 404
    r = alice.post("/v1/organizations", json={"name": "o_acme"})
    assert r.status_code == 409
    r = alice.post("/v1/organizations/o_alice/members", json={"username": "o_bob"})
    assert (r.status_code, error(r)["code"]) == (400, "invalid_input")


def test_keys_shown_once_and_revoked_at_once(live: Live, login: Login) -> None:
    kim = login("k_kim", ("algo:call", "algo:manage", "data:read"))
    r = kim.post("/v1/keys", json={"name": "laptop", "scopes": ["algo:call", "data:read"]})
    assert r.status_code == 200, r.text
    created = r.json()
    secret = created["key"]
    assert secret.startswith(created["prefix"]) and created["username"] == "k_kim"
    assert (created["name"], created["scopes"]) == ("laptop", ["algo:call", "data:read"])
    listed = kim.get("/v1/keys")
    assert secret not in listed.text and secret.split("_", 2)[2] not in listed.text
    laptop = next(k for k in listed.json()["results"] if k["id"] == created["id"])
    assert set(laptop) == {"id", "name", "prefix", "scopes", "created_at", "revoked_at"}
    assert laptop["revoked_at"] is None

    with httpx.Client(base_url=live.url, headers={"Authorization": f"Simple {secret}"}) as new:
        assert new.get("/v1/algorithms").status_code == 200  # now cached in the gateway
        r = kim.delete(f"/v1/keys/{created['id']}")
        assert (r.status_code, r.json()) == (200, {"revoked": created["id"]})
        r = new.get("/v1/algorithms")
        assert (r.status_code, error(r)["code"]) == (401, "unauthorized")
    revoked = next(k for k in kim.get("/v1/keys").json()["results"] if k["id"] == created["id"])
    assert revoked["revoked_at"] is not None


def test_key_rules(live: Live, login: Login) -> None:
    kay = login("k_kay", ("algo:call",))
    r = kay.post("/v1/keys", json={"scopes": ["algo:manage"]})
    assert (r.status_code, error(r)["code"]) == (403, "forbidden")
    assert "algo:manage" in error(r)["message"]
    r = kay.post("/v1/keys", json={"scopes": ["algo:everything"]})
    assert (r.status_code, error(r)["code"]) == (400, "invalid_input")
    r = kay.post("/v1/keys", json={"scopes": "algo:call"})
    assert r.status_code == 400
    r = kay.post("/v1/keys", json={"username": "k_kim", "scopes": ["algo:call"]})
    assert r.status_code == 403
    r = kay.post("/v1/keys", json={})  # default: what the creator has, here algo:call only
    assert (r.status_code, r.json()["scopes"]) == (200, ["algo:call"])
    assert kay.get("/v1/keys", params={"username": "k_kim"}).status_code == 403
    admin_view = live.http.get("/v1/keys", params={"username": "k_kay"}).json()["results"]
    assert len(admin_view) == 2
    # another user's key cannot be revoked (nor told apart from a missing one)
    r = kay.delete(f"/v1/keys/{admin_view[0]['id']}")
    assert r.status_code == 200
    r = login("k_other").delete(f"/v1/keys/{admin_view[1]['id']}")
    assert (r.status_code, error(r)["code"]) == (404, "not_found")
