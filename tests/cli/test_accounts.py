"""``modelport users``, ``orgs`` and ``keys``."""

from __future__ import annotations

import io

import httpx
import pytest

from modelport.cli.main import main
from tests.cli.conftest import Cli
from tests.client.fake_api import FakeApi, body_json, error
from tests.fixtures.server import Live

SECRET = "mp_0123456789ab_secretsecret"
KEY: dict[str, object] = {
    "key": SECRET,
    "username": "alice",
    "id": "key-1",
    "name": "laptop",
    "prefix": "mp_0123456789ab_",
    "scopes": ["algo:call", "data:read"],
    "created_at": "2026-11-21T17:00:00.000Z",
    "revoked_at": None,
}
MEMBERS = {"results": [{"name": "alice", "type": "user"}, {"name": "bob", "type": "user"}]}


def test_users_create(cli: Cli, api: FakeApi) -> None:
    api.json("POST", "/v1/users", {"name": "bob", "type": "user", "admin": True})
    result = cli("users", "create", "bob", "--admin")
    assert result.code == 0, result.err
    assert result.text.splitlines()[0] == "Created admin user bob"
    assert body_json(api.last("POST", "/v1/users")) == {"username": "bob", "admin": True}


def test_a_refusal_is_exit_status_2(cli: Cli, api: FakeApi) -> None:
    api.on("POST", "/v1/users", error(403, "forbidden", "only an admin may create users"))
    result = cli("users", "create", "bob")
    assert (result.code, result.err) == (2, "modelport: error: only an admin may create users\n")


def test_orgs(cli: Cli, api: FakeApi) -> None:
    api.json("POST", "/v1/organizations", {"name": "acme", "members": ["alice"]})
    api.json("POST", "/v1/organizations/acme/members", MEMBERS)
    api.json("DELETE", "/v1/organizations/acme/members/bob", {"results": MEMBERS["results"][:1]})
    api.json("GET", "/v1/organizations/acme/members", MEMBERS)
    assert cli("orgs", "create", "acme").text == "Created organisation acme (members: alice)\n"
    assert body_json(api.last("POST", "/v1/organizations")) == {"name": "acme"}
    result = cli("orgs", "add-member", "acme", "bob")
    assert result.text == "Added bob to acme (members: alice, bob)\n"
    assert body_json(api.last("POST", "/v1/organizations/acme/members")) == {"username": "bob"}
    result = cli("orgs", "remove-member", "acme", "bob")
    assert result.text == "Removed bob from acme (members: alice)\n"
    lines = cli("orgs", "members", "acme").text.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "CREATED"]
    assert [line.split()[0] for line in lines[1:]] == ["alice", "bob"]


def test_keys_create_prints_the_key_once_with_a_warning(cli: Cli, api: FakeApi) -> None:
    api.json("POST", "/v1/keys", KEY)
    result = cli(
        "keys", "create", "--scope", "algo:call", "--scope", "data:read", "--name", "laptop"
    )
    assert result.code == 0, result.err
    assert result.text == SECRET + "\n"  # stdout: the key alone, for scripts
    assert "only time the key is shown" in result.err
    assert "key-1" in result.err and "algo:call data:read" in result.err
    sent = body_json(api.last("POST", "/v1/keys"))
    assert sent == {"name": "laptop", "scopes": ["algo:call", "data:read"]}
    cli("keys", "create", "--user", "bob")
    assert body_json(api.last("POST", "/v1/keys")) == {"name": "", "username": "bob"}


def test_keys_create_refuses_unknown_scopes(cli: Cli, api: FakeApi) -> None:
    result = cli("keys", "create", "--scope", "everything")
    assert result.code == 2 and "invalid choice" in result.err
    assert api.requests == []


def test_keys_list_and_revoke(cli: Cli, api: FakeApi) -> None:
    revoked = {**KEY, "id": "key-0", "name": "", "revoked_at": "2026-11-21T18:00:00.000Z"}
    listed = {"results": [{k: v for k, v in KEY.items() if k != "key"}, revoked]}
    api.json("GET", "/v1/keys", listed)
    api.json("DELETE", "/v1/keys/key-1", {"revoked": "key-1"})
    lines = cli("keys", "list").text.splitlines()
    assert lines[0].split() == ["ID", "NAME", "PREFIX", "SCOPES", "CREATED", "REVOKED"]
    assert lines[1].split()[:4] == ["key-1", "laptop", KEY["prefix"], "algo:call,data:read"]
    assert lines[1].endswith("-") and not lines[2].endswith("-")
    assert lines[2].split()[:2] == ["key-0", "-"]
    assert SECRET not in "\n".join(lines)
    cli("keys", "list", "--user", "bob")
    assert api.last("GET", "/v1/keys").url.params["username"] == "bob"
    assert cli("keys", "revoke", "key-1").text == "Revoked key key-1\n"


def test_keys_list_when_there_are_none(cli: Cli, api: FakeApi) -> None:
    api.json("GET", "/v1/keys", {"results": []})
    result = cli("keys", "list")
    assert (result.code, result.text) == (0, "")
    assert "modelport keys create" in result.err


def test_a_group_alone_prints_its_usage(cli: Cli) -> None:
    for group in ("users", "orgs", "keys"):
        result = cli(group)
        assert result.code == 2 and "COMMAND" in result.err


def test_against_a_real_gateway(live: Live, capsys: pytest.CaptureFixture[str]) -> None:
    admin = ["--api", live.url, "--key", live.key]
    assert main(["users", "create", "cli_zoe", *admin]) == 0
    assert main(["keys", "create", "--user", "cli_zoe", "--scope", "algo:manage", *admin]) == 0
    out = capsys.readouterr()
    zoe = ["--api", live.url, "--key", out.out.splitlines()[-1]]
    assert "shown" in out.err
    assert main(["orgs", "create", "cli_org", *zoe]) == 0
    assert main(["orgs", "add-member", "cli_org", "admin", *zoe]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Added admin to cli_org (members: admin, cli_zoe)"
    )
    assert main(["keys", "list", *zoe]) == 0
    key_id = capsys.readouterr().out.splitlines()[1].split()[0]
    assert main(["keys", "revoke", key_id, *zoe]) == 0
    capsys.readouterr()
    assert main(["keys", "list", *zoe]) == 2
    assert "invalid API key" in capsys.readouterr().err
    with httpx.Client(base_url=live.url, headers={"Authorization": live.key}) as http:
        assert http.get("/v1/keys", params={"username": "cli_zoe"}).json()["results"][0][
            "revoked_at"
        ]


def test_passwords_from_the_cli_sign_in(
    live: Live, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = ["--api", live.url, "--key", live.key]
    monkeypatch.setattr("sys.stdin", io.StringIO("first password\n"))
    assert main(["users", "create", "cli_pat", "--password", *admin]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("second password\n"))
    assert main(["users", "password", "cli_pat", *admin]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Set the web UI password of cli_pat"
    with httpx.Client(base_url=live.url) as browser:
        signed = {
            pw: browser.post("/v1/sessions", json={"username": "cli_pat", "password": pw})
            for pw in ("first password", "second password")
        }
        assert {pw: r.status_code for pw, r in signed.items()} == {
            "first password": 401,
            "second password": 200,
        }
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "password", "cli_pat", *admin]) == 2
    assert "at least 8 characters" in capsys.readouterr().err
