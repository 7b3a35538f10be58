"""The servers a benchmark compares: a free loopback port, waiting until up, and load from wrk."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 600) -> None:
    """Poll ``url`` until it answers; stop the benchmark if the server exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def wrk(url: str, script: Path, connections: int, seconds: float) -> dict[str, float]:
    """Load ``url`` with ``wrk`` running a Lua ``script``: p50 and p99 in ms, requests/s, and
    the number of requests answered.

    Stops the benchmark on any non-2xx answer or socket error: they would count as speed."""
    argv = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout", "30s", "--latency", "-s", str(script), url]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors from {url}:\n{out}")

    def ms(label: str) -> float:
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        return float(m[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m[2]]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    requests = re.search(r"(\d+) requests in", out)
    assert rps and requests, out
    return {"p50": ms("50"), "p99": ms("99"), "rps": float(rps[1]), "requests": float(requests[1])}
