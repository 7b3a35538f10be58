"""The README's quick start, run as a user would: `modelport serve` as a subprocess, the
scaffold deployed and published with the CLI, and calls with curl-equivalent HTTP."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.server import free_port

MODELPORT = str(Path(sys.executable).parent / "modelport")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    home = tmp_path_factory.mktemp("qs-home")
    port = free_port()
    env = {**os.environ, "MODELPORT_HOME": str(home), "MODELPORT_PORT": str(port)}
    log = (home / "serve.log").open("w")
    proc = subprocess.Popen([MODELPORT, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (home / "serve.log").read_text()
            assert time.monotonic() < deadline, "modelport serve did not come up"
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url, env
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def cli(env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [MODELPORT, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_quick_start(server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = server
    credentials = json.loads((Path(env["MODELPORT_HOME"]) / "credentials.json").read_text())
    assert credentials["api_address"] == url
    headers = {"Authorization": f"Simple {credentials['api_key']}"}

    cli(env, "init", "digits", cwd=tmp_path)
    out = cli(env, "deploy", "digits/", cwd=tmp_path)
    sha = re.search(r"\b[0-9a-f]{40}\b", out)
    assert sha, out
    assert f"{url}/v1/algo/admin/digits/{sha[0]}" in out

    r = httpx.post(f"{url}/v1/algo/admin/digits/{sha[0]}", json={"x": 1}, headers=headers)
    assert r.json()["result"] == {"y": 2}
    assert "0.1.0" in cli(env, "publish", "admin/digits", "--minor")
    out = cli(env, "call", "admin/digits/0.1.*", stdin='{"x": 1}')
    assert json.loads(out) == {"y": 2}
    r = httpx.post(
        f"{url}/v1/algo/admin/digits/0.1.0?timeout=30",
        content='{"x": 21}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.json()["result"] == {"y": 42}
    assert "0.1.0" in cli(env, "versions", "admin/digits")
    assert sha[0][:12] in cli(env, "builds", "admin/digits")


def test_handler_template(server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    """A DCF-style Handler(req) deploys, passes its sample check and answers raw bytes."""
    _, env = server
    cli(env, "init", "doubler", "--template", "handler", cwd=tmp_path)
    cli(env, "deploy", "doubler", cwd=tmp_path)
    assert "0.1.0" in cli(env, "publish", "admin/doubler", "--minor")
    out = cli(env, "call", "admin/doubler/0.1.0", stdin='{"x": 3}')
    assert json.loads(out) == {"y": 6}


def test_examples_are_published(server: tuple[str, dict[str, str]]) -> None:
    url, env = server
    credentials = json.loads((Path(env["MODELPORT_HOME"]) / "credentials.json").read_text())
    headers = {"Authorization": credentials["api_key"]}
    deadline = time.monotonic() + 420  # sklearn_digits installs scikit-learn on first start
    pending = {
        "hello": ("world", "Hello world"),
        "sklearn_digits": ({"pixels": [0] * 20 + [16] * 24 + [0] * 20}, None),
    }
    while pending and time.monotonic() < deadline:
        for name, (given, expected) in list(pending.items()):
            r = httpx.post(f"{url}/v1/algo/admin/{name}/1.0.0", json=given, headers=headers)
            if r.status_code == 200:
                result = r.json()["result"]
                if expected is None:
                    assert result["prediction"] in range(10)
                else:
                    assert result == expected
                del pending[name]
        time.sleep(1)
    assert not pending, f"examples not published in time: {sorted(pending)}"


def test_the_home_is_private_and_no_key_is_logged(server: tuple[str, dict[str, str]]) -> None:
    home = Path(server[1]["MODELPORT_HOME"])
    key = json.loads((home / "credentials.json").read_text())["api_key"]
    assert "credentials.json" in (home / "serve.log").read_text()  # says where the key is
    assert key not in (home / "serve.log").read_text()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in ("modelport.db", "credentials.json", "secret.key"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name
