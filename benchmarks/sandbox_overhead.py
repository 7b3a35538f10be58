"""What the bubblewrap sandbox costs a worker: its cold start, and calls/s of the small SVC.

  cold start   a fresh worker's first answer (spawn, import, ``load()``, one call), timed
               in-process around ``LocalRunner.call``, ``--starts`` times each, alternating
  calls/s      ``modelport serve`` with ``MODELPORT_SANDBOX=off`` and ``=bubblewrap``, the
               SVC of ``call_overhead.py`` called by wrk at concurrency 1 and 16, in
               ``--rounds`` interleaved rounds, each server started afresh per round

Targets (issue 20): the sandbox adds at most 150 ms to a cold start and at most 2% to calls/s.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from call_overhead import BODY, EXAMPLE, load, start_modelport
from servers import wait_idle

from modelport.adapters.runtime.pool import LocalRunner
from modelport.adapters.runtime.sandbox import Sandbox, bubblewrap
from modelport.core.calls import CallRequest, ContentType
from modelport.core.manifest import Manifest
from modelport.core.ports import Deployment

MODES = ("off", "bubblewrap")


def cold_start(source: Path, sandbox: Sandbox | None) -> float:
    """Seconds from a call on a fresh runner to its answer: a worker started for it."""
    manifest = Manifest.from_mapping({"name": "svc", "entrypoint": "algorithm.py:apply"})
    deployment = Deployment("bench/svc@cold", Path(sys.executable), source, manifest)

    async def once() -> float:
        runner = LocalRunner(sandbox=sandbox)
        started = time.perf_counter()
        request = CallRequest(ContentType.JSON, BODY.encode(), timeout=60)
        result = await runner.call(deployment, request)
        seconds = time.perf_counter() - started
        await runner.close()
        if result.error is not None:
            raise SystemExit(f"the cold start failed: {result.error}")
        return seconds

    return asyncio.run(once())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--starts", type=int, default=10)
    args = parser.parse_args()
    bwrap = bubblewrap()
    if bwrap is None or shutil.which("wrk") is None:
        raise SystemExit("needs bubblewrap and wrk: apt-get install -y bubblewrap wrk")
    sandbox = Sandbox(bwrap)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "svc")
        shutil.copytree(str(EXAMPLE), source)
        source.chmod(0o755)  # readable by the sandbox's uid
        starts: dict[str, list[float]] = {m: [] for m in MODES}
        cold_start(source, None)  # the page cache warmed for both
        for _ in range(args.starts):
            starts["off"].append(cold_start(source, None))
            starts["bubblewrap"].append(cold_start(source, sandbox))
        rates: dict[tuple[str, int], list[float]] = {}
        for r in range(args.rounds):
            for mode in MODES:
                workdir = Path(tmp, f"{mode}-{r}")
                workdir.mkdir()
                proc, url, headers = start_modelport(workdir, {"MODELPORT_SANDBOX": mode})
                try:
                    for c in (1, 16):
                        load(url, c, 2, headers)  # warm up
                        wait_idle(proc.pid)
                        rps = load(url, c, args.seconds, headers)["rps"]
                        rates.setdefault((mode, c), []).append(rps)
                finally:
                    proc.terminate()
                    proc.wait(30)
    print_table(starts, rates, args)


def print_table(
    starts: dict[str, list[float]],
    rates: dict[tuple[str, int], list[float]],
    args: argparse.Namespace,
) -> None:
    print(f"\nsettings: --starts {args.starts}, --rounds {args.rounds}, --seconds {args.seconds};")
    print("worker_threads 1, replicas 1 (the example's manifest); medians\n")
    print(f"{'measure':<22} {'off':>10} {'bubblewrap':>11} {'added':>10}")
    off, on = statistics.median(starts["off"]), statistics.median(starts["bubblewrap"])
    added = (on - off) * 1000
    print(f"{'cold start (ms)':<22} {off * 1000:>10.1f} {on * 1000:>11.1f} {added:>+10.1f}")
    for c in (1, 16):
        a, b = statistics.median(rates[("off", c)]), statistics.median(rates[("bubblewrap", c)])
        label = f"calls/s, concurrency {c}"
        print(f"{label:<22} {a:>10.0f} {b:>11.0f} {(b / a - 1) * 100:>+9.1f}%")
    print("\ncalls/s by round (off / bubblewrap, the rounds interleaved):")
    for c in (1, 16):
        pairs = zip(rates[("off", c)], rates[("bubblewrap", c)], strict=True)
        print(f"  concurrency {c:<3}" + "  ".join(f"{a:.0f}/{b:.0f}" for a, b in pairs))


if __name__ == "__main__":
    main()
