"""The servers a benchmark compares: a free loopback port, waiting until up, load from wrk,
and the CPU time a server's processes spend (waiting until they are idle)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx

TICKS = os.sysconf("SC_CLK_TCK")


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


def cpu_seconds(pid: int) -> float:
    """User and system time of a process and its living descendants (workers), from /proc."""
    total, pending = 0.0, [pid]
    while pending:
        proc = Path(f"/proc/{pending.pop()}")
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            children = [(t / "children").read_text().split() for t in (proc / "task").iterdir()]
        except OSError:  # it ended meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
        pending += [int(child) for found in children for child in found]
    return total


def wait_idle(pid: int, timeout: float = 60.0) -> None:
    """Return once ``pid`` and its descendants spend at most one clock tick (10 ms) of CPU in
    0.25 s: the request wrk left in flight has been answered, and no worker is starting.

    Without this pause after a warm-up, the measurement's first request waits behind that
    request, and modelport, seeing a call queue, starts another worker while the measurement
    runs: its start-up competes with the calls measured, and counts as their CPU time (for
    ResNet-18 at concurrency 1, 0.5 s of CPU over 5 s: 4 ms an image)."""
    deadline, before = time.monotonic() + timeout, cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_seconds(pid)
        if now - before <= 1.5 / TICKS:
            return
        before = now
    raise SystemExit(f"the server (pid {pid}) was still busy {timeout:g} s after its load")
