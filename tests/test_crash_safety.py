"""A server killed in the middle of a large upload loses nothing and shows no partial file."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.server import free_port

MODELPORT = str(Path(sys.executable).parent / "modelport")
pytestmark = pytest.mark.slow


def start(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MODELPORT_HOME": str(home), "MODELPORT_PORT": str(port)}
    proc = subprocess.Popen(
        [MODELPORT, "serve", "--no-examples"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz")
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start")


def slow_body(total: int, started: threading.Event) -> Iterator[bytes]:
    chunk = b"n" * (1 << 20)
    for sent in range(0, total, len(chunk)):
        if sent >= 8 * len(chunk):
            started.set()
            time.sleep(0.05)
        yield chunk


def test_kill_during_upload_keeps_the_old_file(tmp_path: Path) -> None:
    port = free_port()
    proc = start(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    key = json.loads((tmp_path / "credentials.json").read_text())["api_key"]
    headers = {"Authorization": key}
    try:
        assert (
            httpx.post(f"{url}/v1/data/.my", json={"name": "models"}, headers=headers).status_code
            == 200
        )
        old = b"old model " * 1000
        assert (
            httpx.put(f"{url}/v1/data/.my/models/m.bin", content=old, headers=headers).status_code
            == 200
        )
        started = threading.Event()

        def upload() -> None:
            # the server dies under it: a transport error is expected
            with contextlib.suppress(httpx.HTTPError):
                httpx.put(
                    f"{url}/v1/data/.my/models/m.bin",
                    headers=headers,
                    timeout=60,
                    content=slow_body(512 << 20, started),
                )

        uploader = threading.Thread(target=upload)
        uploader.start()
        assert started.wait(30)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        uploader.join(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    proc = start(tmp_path, port)
    try:
        assert httpx.get(f"{url}/v1/data/.my/models/m.bin", headers=headers).content == old
        listing = httpx.get(f"{url}/v1/data/.my/models", headers=headers).json()
        assert [f["filename"] for f in listing["files"]] == ["m.bin"]
        assert "folders" not in listing
    finally:
        proc.terminate()
        proc.wait(30)
