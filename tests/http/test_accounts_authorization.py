"""Scopes and organisations on the algorithm and call routes, against a real gateway."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from modelport.adapters.store import MemoryStore
from modelport.app import token_secret
from modelport.config import Settings
from modelport.core.calls import PROOF_HEADER
from modelport.services.accounts import Accounts
from tests.fixtures.server import Live, pack
from tests.http import algorithms

MANAGE = ["algo:call", "algo:manage"]


@pytest.fixture(scope="module")
def clients(live: Live) -> Iterator[dict[str, httpx.Client]]:
    """Users of the ``z_acme`` organisation and outsiders, each with a scoped key."""
    made: dict[str, httpx.Client] = {}
    for user, scopes in [
        ("z_owner", MANAGE),
        ("z_member", MANAGE),
        ("z_stranger", MANAGE),
        ("z_caller", ["algo:call"]),  # may call, may not manage
        ("z_reader", ["data:read", "algo:manage"]),  # may manage, may not call
    ]:
        assert live.http.post("/v1/users", json={"username": user}).status_code == 200
        key = live.http.post("/v1/keys", json={"username": user, "scopes": scopes}).json()["key"]
        made[user] = httpx.Client(base_url=live.url, headers={"Authorization": key}, timeout=300)
    owner = made["z_owner"]
    assert owner.post("/v1/organizations", json={"name": "z_acme"}).status_code == 200
    for user in ("z_member", "z_caller", "z_reader"):
        r = owner.post("/v1/organizations/z_acme/members", json={"username": user})
        assert r.status_code == 200, r.text
    yield made
    for client in made.values():
        client.close()


def deploy(client: httpx.Client, owner: str, name: str) -> httpx.Response:
    if client.get(f"/v1/algorithms/{owner}/{name}").status_code == 404:
        r = client.post(f"/v1/algorithms/{owner}", json={"name": name})
        if r.status_code != 200:
            return r
    files = {"modelport.yaml": f"name: {name}\n", **algorithms.ECHO}
    return client.post(
        f"/v1/algorithms/{owner}/{name}/builds?wait=true",
        content=pack(files),
        headers={"Content-Type": "application/gzip"},
    )


def publish(client: httpx.Client, owner: str, name: str) -> httpx.Response:
    body = {"version_info": {"version_type": "minor"}}
    return client.post(f"/v1/algorithms/{owner}/{name}/versions", json=body)


def code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_org_members_deploy_and_call_private_algorithms(clients: dict[str, httpx.Client]) -> None:
    member, stranger = clients["z_member"], clients["z_stranger"]
    build = deploy(member, "z_acme", "z_echo")
    assert build.status_code == 200, build.text
    sha = build.json()["commit_sha"]
    assert build.json()["status"] == "succeeded"
    assert publish(member, "z_acme", "z_echo").status_code == 200  # private by default
    for client in (member, clients["z_owner"], clients["z_caller"]):
        for version in (sha, "latestPrivate", "0.1.0"):
            r = client.post(f"/v1/algo/z_acme/z_echo/{version}", json={"hi": 1})
            assert r.status_code == 200, (version, r.text)
            assert r.json()["result"] == {"hi": 1}
    assert member.get("/v1/algorithms/z_acme/z_echo").status_code == 200
    assert "z_echo" in [a["name"] for a in member.get("/v1/algorithms").json()["results"]]
    # outside the organisation the private algorithm does not exist
    for version in (sha, "latestPrivate", "0.1.0", "latest"):
        r = stranger.post(f"/v1/algo/z_acme/z_echo/{version}", json={"hi": 1})
        assert r.status_code == 404, (version, r.text)
    assert stranger.get("/v1/algorithms/z_acme/z_echo").status_code == 404
    assert "z_echo" not in [a["name"] for a in stranger.get("/v1/algorithms").json()["results"]]
    r = stranger.post("/v1/algorithms/z_acme", json={"name": "z_theirs"})
    assert code(r) == (403, "forbidden")
    r = stranger.put("/v1/algorithms/z_acme/z_echo", json={"details": {"summary": "mine"}})
    assert r.status_code == 404


def test_calls_need_algo_call(clients: dict[str, httpx.Client]) -> None:
    build = deploy(clients["z_member"], "z_acme", "z_scoped")
    sha = build.json()["commit_sha"]
    r = clients["z_reader"].post(f"/v1/algo/z_acme/z_scoped/{sha}", json=1)
    assert code(r) == (403, "forbidden")
    assert "algo:call" in r.json()["error"]["message"]
    assert clients["z_caller"].post(f"/v1/algo/z_acme/z_scoped/{sha}", json=1).status_code == 200


def test_managing_needs_algo_manage(clients: dict[str, httpx.Client]) -> None:
    caller = clients["z_caller"]  # a member of z_acme, but its key only calls
    assert code(caller.post("/v1/algorithms/z_acme", json={"name": "z_new"})) == (
        403,
        "forbidden",
    )
    assert code(deploy(caller, "z_acme", "z_echo")) == (403, "forbidden")
    assert code(publish(caller, "z_acme", "z_echo")) == (403, "forbidden")
    assert code(caller.post("/v1/algorithms/z_acme/z_echo/compile", json={})) == (403, "forbidden")
    assert code(caller.put("/v1/algorithms/z_acme/z_echo", json={})) == (403, "forbidden")
    assert code(caller.delete("/v1/algorithms/z_acme/z_echo")) == (403, "forbidden")
    r = caller.post("/v1/algorithms/z_caller", json={"name": "z_own"})
    assert code(r) == (403, "forbidden") and "algo:manage" in r.json()["error"]["message"]
    # reads need any valid key
    assert caller.get("/v1/algorithms/z_acme/z_echo").status_code == 200
    assert caller.get("/v1/algorithms/z_acme/z_echo/versions").status_code == 200
    assert caller.get("/v1/algorithms/z_acme/z_echo/builds").status_code == 200


def test_call_tokens_act_for_the_caller(live: Live, clients: dict[str, httpx.Client]) -> None:
    accounts = live.platform.accounts
    member = accounts.authenticate(clients["z_member"].headers["Authorization"])
    token = accounts.call_token(member, "z_acme/z_echo", ttl=60)
    # as a worker's channel passes it on: beside the channels' proof header
    channel = {"Authorization": f"Bearer {token}", PROOF_HEADER: accounts.channel_proof}
    with httpx.Client(base_url=live.url, headers=channel) as acting:
        r = acting.post("/v1/algo/z_acme/z_echo/latestPrivate", json="nested")
        assert (r.status_code, r.json()["result"]) == (200, "nested")
        assert code(acting.post("/v1/keys", json={"scopes": ["algo:call"]})) == (403, "forbidden")
        assert code(acting.post("/v1/algorithms/z_acme", json={"name": "z_x"})) == (
            403,
            "forbidden",
        )
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    r = httpx.post(f"{live.url}/v1/algo/z_acme/z_echo/latestPrivate", json=1,
                   headers={"Authorization": f"Bearer {forged}"})  # fmt: skip
    assert code(r) == (401, "unauthorized")
    assert r.json()["error"]["message"] == "invalid token"
    # the real token, from outside a channel (with no proof, or a guessed one): refused
    for proof in ({}, {PROOF_HEADER: "guessed"}):
        r = httpx.post(f"{live.url}/v1/algo/z_acme/z_echo/latestPrivate", json=1,
                       headers={"Authorization": f"Bearer {token}", **proof})  # fmt: skip
        assert code(r) == (401, "unauthorized")
        assert "only from inside the call" in r.json()["error"]["message"]


def test_the_token_secret_survives_restarts(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("secret-home")
    settings = Settings(home=home)
    first = token_secret(settings)
    path = settings.secret_key_path
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first) == 64 and token_secret(settings) == first
    assert [p.name for p in home.iterdir()] == ["secret.key"]
    assert token_secret(Settings(home=home, secret_key="from-the-env")) == b"from-the-env"


def test_tokens_signed_before_a_restart_still_work(live: Live) -> None:
    store = MemoryStore()
    before = Accounts(store, token_secret=token_secret(live.settings))
    before.create_user("someone")
    principal = before.authenticate(before.create_key("someone", frozenset({"algo:call"})))
    token = before.call_token(principal, "someone/x", ttl=60)
    after = Accounts(store, token_secret=token_secret(live.settings))
    assert after.authenticate(token, after.channel_proof).via == "someone/x"
