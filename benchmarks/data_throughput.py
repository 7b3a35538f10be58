"""Upload and download throughput of one large file through the data API.

Starts ``modelport serve`` (files on local disk), then moves a file of ``--size`` MiB
(default 1024) up with PUT and down with GET, streamed both ways, and compares with a plain
local file copy. Reports MB/s and the server's peak resident memory (VmHWM), which shows
that neither direction holds the file in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from servers import free_port

BIN = Path(sys.executable).parent


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_file(path: Path, mib: int) -> None:
    block = os.urandom(1 << 20)
    with path.open("wb") as out:
        for _ in range(mib):
            out.write(block)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1024, help="MiB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "big.bin"
        make_file(source, args.size)
        mb = source.stat().st_size / 1e6
        t = time.perf_counter()
        shutil.copyfile(source, work / "copy.bin")
        copy_s = time.perf_counter() - t
        (work / "copy.bin").unlink()

        port = free_port()
        env = {**os.environ, "MODELPORT_HOME": str(work / "home"), "MODELPORT_PORT": str(port)}
        proc = subprocess.Popen(
            [str(BIN / "modelport"), "serve", "--no-examples"], env=env, stderr=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(url + "/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            key = json.loads((work / "home" / "credentials.json").read_text())["api_key"]
            headers = {"Authorization": key}
            with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
                client.post("/v1/data/.my", json={"name": "bench"}).raise_for_status()
                idle_rss = peak_rss_mib(proc.pid)
                t = time.perf_counter()
                with source.open("rb") as f:
                    client.put("/v1/data/.my/bench/big.bin", content=f).raise_for_status()
                up_s = time.perf_counter() - t
                up_rss = peak_rss_mib(proc.pid)
                t = time.perf_counter()
                with (
                    client.stream("GET", "/v1/data/.my/bench/big.bin") as r,
                    (work / "down.bin").open("wb") as out,
                ):
                    for chunk in r.iter_raw(4 << 20):
                        out.write(chunk)
                down_s = time.perf_counter() - t
                down_rss = peak_rss_mib(proc.pid)
            assert (work / "down.bin").stat().st_size == source.stat().st_size
        finally:
            proc.terminate()
            proc.wait(30)
    print(f"\n{args.size} MiB file; server peak RSS {idle_rss:.0f} MiB before any transfer\n")
    print(f"{'operation':<16} {'seconds':>8} {'MB/s':>8} {'x local copy':>13} {'peak RSS MiB':>13}")
    print(f"{'local copy':<16} {copy_s:>8.2f} {mb / copy_s:>8.0f} {1.0:>13.2f} {'':>13}")
    for name, secs, rss in (("upload (PUT)", up_s, up_rss), ("download (GET)", down_s, down_rss)):
        print(f"{name:<16} {secs:>8.2f} {mb / secs:>8.0f} {copy_s / secs:>13.2f} {rss:>13.0f}")


if __name__ == "__main__":
    main()
