"""A client that stops sending its body is answered 408 and lets go of the server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from modelport.config import Settings
from tests.fixtures.server import Live, free_port, serving


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    home = tmp_path_factory.mktemp("strict")
    with serving(Settings(home=home, port=free_port(), body_timeout=1.0)) as live:
        yield live


def stall(live: Live, path: str) -> tuple[str, float]:
    """Send the headers and a tenth of the declared body, then nothing: the answer and when."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", live.settings.port), timeout=20) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Simple {live.key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        sock.sendall(head.encode() + b"[" * 100)
        answer = sock.recv(65536).decode(errors="replace")
    return answer, time.monotonic() - started


@pytest.mark.parametrize("path", ["/v1/algo/admin/anything", "/v1/algorithms/admin"])
def test_a_stalled_body_is_answered_408(strict: Live, path: str) -> None:
    answer, seconds = stall(strict, path)
    assert answer.startswith("HTTP/1.1 408"), answer
    assert "the request body stalled: nothing arrived for 1 s" in answer
    assert seconds < 10
    assert strict.http.get("/healthz").status_code == 200


def test_a_slow_but_steady_body_is_read(strict: Live) -> None:
    body = b'{"name": "steady"}'
    with socket.create_connection(("127.0.0.1", strict.settings.port), timeout=20) as sock:
        head = (
            f"POST /v1/algorithms/admin HTTP/1.1\r\nHost: x\r\nAuthorization: Simple {strict.key}"
            f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode())
        for i in range(0, len(body), 6):  # 3 chunks, 0.6 s apart: 1.8 s in all, past 1 s
            time.sleep(0.6)
            sock.sendall(body[i : i + 6])
        answer = sock.recv(65536).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 200"), answer
