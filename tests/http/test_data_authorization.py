"""Every data route by every kind of caller, against a real gateway.

Collections: ``d_alice/priv`` (private), ``d_alice/algos`` (my algorithms, the default),
``d_alice/pub`` (public) and ``d_lab/shared`` (private, owned by the organisation ``d_lab``).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.server import Live

ALL = ["data:read", "data:write"]
COLLECTIONS = {
    "d_alice/priv": [],
    "d_alice/algos": ["algo://.my/*"],
    "d_alice/pub": ["user://*"],
    "d_lab/shared": [],
}


@pytest.fixture(scope="module")
def callers(live: Live) -> Iterator[dict[str, httpx.Client]]:
    keys: dict[str, str | None] = {"no key": None}
    for user, scopes in [
        ("d_alice", ALL),
        ("d_bob", ALL),
        ("d_carol", ALL),
        ("d_alice_callonly", ["algo:call"]),
    ]:
        name = user.removesuffix("_callonly")
        if live.http.get(f"/v1/users/{name}").status_code == 404:
            assert live.http.post("/v1/users", json={"username": name}).status_code == 200
        r = live.http.post("/v1/keys", json={"username": name, "scopes": scopes})
        keys[user] = r.json()["key"]
    revoked = live.http.post("/v1/keys", json={"username": "d_alice", "scopes": ALL}).json()
    live.http.delete(f"/v1/keys/{revoked['id']}")
    keys["revoked key"] = revoked["key"]
    setup = live.http.post(
        "/v1/keys", json={"username": "d_alice", "scopes": [*ALL, "algo:manage"]}
    ).json()["key"]
    alice = httpx.Client(base_url=live.url, headers={"Authorization": setup})
    carol = httpx.Client(base_url=live.url, headers={"Authorization": str(keys["d_carol"])})
    assert alice.post("/v1/organizations", json={"name": "d_lab"}).status_code == 200
    r = alice.post("/v1/organizations/d_lab/members", json={"username": "d_carol"})
    assert r.status_code == 200, r.text
    for path, read in COLLECTIONS.items():
        owner, name = path.split("/")
        r = alice.post(f"/v1/data/{owner}", json={"name": name, "acl": {"read": read}})
        assert r.status_code == 200, r.text
        assert alice.put(f"/v1/data/{path}/f.txt", content=b"secret").status_code == 200
    clients = {
        who: httpx.Client(
            base_url=live.url, headers={"Authorization": key} if key else {}, timeout=60
        )
        for who, key in keys.items()
    }
    clients["org member"] = carol
    yield clients
    alice.close()
    for client in clients.values():
        client.close()


# who → collection → may read?  (writes: only the owner, or an org member for d_lab)
READ = {
    "d_alice": {"d_alice/priv", "d_alice/algos", "d_alice/pub", "d_lab/shared"},
    "d_bob": {"d_alice/pub"},
    "org member": {"d_alice/pub", "d_lab/shared"},
}
WRITE = {"d_alice": set(COLLECTIONS), "org member": {"d_lab/shared"}, "d_bob": set()}


@pytest.mark.parametrize("collection", sorted(COLLECTIONS))
@pytest.mark.parametrize(
    "who", ["d_alice", "d_bob", "org member", "no key", "revoked key", "d_alice_callonly"]
)
def test_matrix(callers: dict[str, httpx.Client], who: str, collection: str) -> None:
    client = callers[who]
    file = f"/v1/data/{collection}/f.txt"
    requests = {
        "GET file": lambda: client.get(file),
        "HEAD file": lambda: client.head(file),
        "GET listing": lambda: client.get(f"/v1/data/{collection}"),
        "PUT file": lambda: client.put(f"/v1/data/{collection}/new.txt", content=b"x"),
        "POST folder": lambda: client.post(f"/v1/data/{collection}", json={"name": "sub"}),
        "PATCH acl": lambda: client.patch(
            f"/v1/data/{collection}", json={"acl": {"read": COLLECTIONS[collection]}}
        ),
        "DELETE file": lambda: client.delete(f"/v1/data/{collection}/new.txt"),
        "DELETE folder": lambda: client.delete(f"/v1/data/{collection}/sub"),
    }
    for route, send in requests.items():
        status = send().status_code
        writes = not route.startswith(("GET", "HEAD"))
        if who in ("no key", "revoked key"):
            expected = {401}
        elif who == "d_alice_callonly":
            expected = {403}
        elif writes:
            expected = {200} if collection in WRITE[who] else {403}
        else:
            expected = {200} if collection in READ[who] else {404}
        assert status in expected, (who, collection, route, status)
