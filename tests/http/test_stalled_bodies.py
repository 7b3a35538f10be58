"""A client that stops sending its body is answered 408 and lets go of the server; many slow
bodies together hold no more than MODELPORT_MAX_BUFFERED_BYTES."""

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
    settings = Settings(home=home, port=free_port(), body_timeout=1.0, max_buffered_bytes=2**20)
    with serving(settings) as live:
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


def begin(live: Live, path: str, sent: int, declared: int) -> socket.socket:
    """A request whose body has ``sent`` of its ``declared`` bytes so far."""
    sock = socket.create_connection(("127.0.0.1", live.settings.port), timeout=20)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Simple {live.key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    )
    sock.sendall(head.encode() + b" " * sent)
    return sock


@pytest.mark.parametrize("path", ["/v1/algo/admin/anything", "/v1/algorithms/admin"])
def test_bodies_read_at_once_hold_no_more_than_the_budget(strict: Live, path: str) -> None:
    """Three bodies of 400 KiB so far, in a budget of 1 MiB: the third is answered 503 at
    once, the others wait; once they are gone, a new body is read again."""
    slow = [begin(strict, path, 400 * 1024, 2 * 400 * 1024) for _ in range(2)]
    try:
        time.sleep(0.3)  # both are being read, holding 800 KiB
        with begin(strict, path, 400 * 1024, 2 * 400 * 1024) as third:
            answer = third.recv(65536).decode(errors="replace")
        assert answer.startswith("HTTP/1.1 503"), answer
        assert "Retry-After" in answer or "retry-after" in answer
        assert "MODELPORT_MAX_BUFFERED_BYTES" in answer
    finally:
        for sock in slow:
            sock.close()
    deadline = time.monotonic() + 5
    while strict.platform.bodies.used and time.monotonic() < deadline:
        time.sleep(0.05)
    assert strict.platform.bodies.used == 0  # given back when the clients went away
    name = f'{{"name": "after{len(path)}"}}'.encode()
    r = strict.http.post("/v1/algorithms/admin", content=name + b" " * 600_000,
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 200, r.text
