"""Signing the web UI in and out: passwords, API keys, HttpOnly cookies and CSRF tokens, on
SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from modelport.config import Settings
from tests.fixtures.server import Live, free_port, serving


def browser(live: Live) -> httpx.Client:
    """A client with no credentials but a cookie jar, as a browser."""
    return httpx.Client(base_url=live.url)


def create_user(live: Live, name: str, password: str = "correct horse") -> None:
    r = live.http.post("/v1/users", json={"username": name, "password": password})
    assert r.status_code == 200, r.text


def sign_in_flow(live: Live, name: str) -> None:
    create_user(live, name)
    with browser(live) as b:
        r = b.post("/v1/sessions", json={"username": name, "password": "correct horse"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["account"]["name"] == name
        assert body["scopes"] == ["algo:call", "algo:manage", "data:read", "data:write"]
        cookies = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
        session, csrf = cookies["mp_session"], cookies["mp_csrf"]
        assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
        assert "HttpOnly" not in csrf and "SameSite=strict" in csrf
        assert body["csrf_token"] == b.cookies["mp_csrf"]
        assert b.get("/v1/sessions/current").json()["account"]["name"] == name
        # reads need only the cookie; changes also need the CSRF header
        assert b.get("/v1/algorithms").status_code == 200
        r = b.post("/v1/keys", json={"name": "from the ui", "scopes": ["algo:call"]})
        assert r.status_code == 403 and "X-CSRF-Token" in r.json()["error"]["message"]
        r = b.post("/v1/keys", json={"scopes": ["algo:call"]}, headers={"X-CSRF-Token": "nope"})
        assert r.status_code == 403
        token = {"X-CSRF-Token": body["csrf_token"]}
        r = b.post("/v1/keys", json={"name": "from the ui", "scopes": ["algo:call"]}, headers=token)
        assert r.status_code == 200, r.text
        assert b.delete("/v1/sessions/current").status_code == 403  # no CSRF token: refused
        r = b.delete("/v1/sessions/current", headers=token)
        assert r.status_code == 204
        assert 'mp_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    # the ended session no longer works, even when a copy of the cookie is replayed
    cookie = {"Cookie": session.split(";", 1)[0]}
    r = httpx.get(f"{live.url}/v1/algorithms", headers=cookie)
    assert r.status_code == 401, r.text


def test_password_sign_in_and_out(live: Live) -> None:
    sign_in_flow(live, "s_alice")


@pytest.mark.postgres
def test_sessions_on_postgresql(fresh_postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, port=free_port(), database_url=fresh_postgres_url)
    with serving(settings) as live:
        sign_in_flow(live, "s_pg")


def test_sign_in_with_an_api_key_keeps_its_scopes(live: Live) -> None:
    r = live.http.post("/v1/keys", json={"name": "reader", "scopes": ["data:read"]})
    key = r.json()["key"]
    with browser(live) as b:
        r = b.post("/v1/sessions", json={"api_key": key})
        assert r.status_code == 200, r.text
        assert r.json()["scopes"] == ["data:read"]
        assert r.json()["account"]["name"] == "admin"
        r = b.post(
            "/v1/algo/admin/anything", json=1, headers={"X-CSRF-Token": r.json()["csrf_token"]}
        )
        assert r.status_code == 403 and "algo:call" in r.json()["error"]["message"]


def test_wrong_credentials_are_refused_alike_then_throttled(tmp_path: Path) -> None:
    with serving(Settings(home=tmp_path, port=free_port())) as live:
        create_user(live, "s_bob")
        with browser(live) as b:
            for attempt in ({"username": "s_bob", "password": "wrong password"},
                            {"username": "s_nobody", "password": "wrong password"}):  # fmt: skip
                r = b.post("/v1/sessions", json=attempt)
                assert r.status_code == 401
                assert r.json()["error"]["message"] == "wrong user name or password"
            r = b.post("/v1/sessions", json={"api_key": "mp_abc_def"})
            assert r.status_code == 401
            codes = [
                b.post("/v1/sessions", json={"username": "s_bob", "password": "guess 1234"})
                for _ in range(10)
            ]
            limited = codes[-1]
            assert limited.status_code == 429, limited.text
            assert int(limited.headers["retry-after"]) >= 1
            assert "too many failed sign-ins" in limited.json()["error"]["message"]
            # even the right password waits now: guessing cannot be sped up
            r = b.post("/v1/sessions", json={"username": "s_bob", "password": "correct horse"})
            assert r.status_code == 429


def test_passwords_rules(live: Live) -> None:
    r = live.http.post("/v1/users", json={"username": "s_short", "password": "short"})
    assert r.status_code == 400 and "at least 8" in r.json()["error"]["message"]
    assert live.http.get("/v1/users/s_short").status_code == 404  # nothing half-created
    r = live.http.post("/v1/users", json={"username": "anonymous"})
    assert r.status_code == 400 and "reserved" in r.json()["error"]["message"]
    create_user(live, "s_carol")
    every = ["algo:call", "algo:manage", "data:read", "data:write"]
    r = live.http.post("/v1/keys", json={"username": "s_carol", "scopes": every})
    carol = {"Authorization": r.json()["key"]}
    r = live.http.post("/v1/keys", json={"username": "s_carol", "scopes": ["algo:call"]})
    narrow = {"Authorization": r.json()["key"]}
    # a narrow key is no way to every scope: a password would sign in with all of them
    r = httpx.put(f"{live.url}/v1/users/s_carol/password", json={"password": "new secret 1"},
                  headers=narrow)  # fmt: skip
    assert r.status_code == 403 and "every scope" in r.json()["error"]["message"], r.text
    # a user sets their own password with a key that has every scope already; not another's
    r = httpx.put(f"{live.url}/v1/users/s_carol/password", json={"password": "new secret 1"},
                  headers=carol)  # fmt: skip
    assert r.status_code == 204, r.text
    r = httpx.put(f"{live.url}/v1/users/admin/password", json={"password": "new secret 1"},
                  headers=carol)  # fmt: skip
    assert r.status_code == 403
    with browser(live) as b:
        r = b.post("/v1/sessions", json={"username": "s_carol", "password": "new secret 1"})
        assert r.status_code == 200
        r = b.post("/v1/sessions", json={"username": "s_carol"})
        assert r.status_code == 400
        # what a cross-site form could send is refused: no signing a victim in as someone else
        form = "username=s_carol&password=new+secret+1"
        r = b.post("/v1/sessions", content=form,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert r.status_code == 415 and "mp_session" not in r.headers.get("set-cookie", "")
        text = '{"username": "s_carol", "password": "new secret 1"}'
        r = b.post("/v1/sessions", content=text, headers={"Content-Type": "text/plain"})
        assert r.status_code == 415
