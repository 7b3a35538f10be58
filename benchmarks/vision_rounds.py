"""The vision benchmark's concurrency-1 rounds: in-process b1 and every HTTP target, each
started afresh, one after another in each round, each ratio taken within its round."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from image_classifier import Stats
from vision_targets import HERE, check_label, lua, modelport_server, warm_then_load

Target = Callable[[], contextlib.AbstractContextManager[tuple[str, Path]]]


@contextlib.contextmanager
def served(
    server: contextlib.AbstractContextManager[str], script: Path, jpeg: Path
) -> Iterator[tuple[str, Path]]:
    """A started server once it has answered a call (its model loaded), and its wrk script."""
    with server as url:
        check_label(url, jpeg.read_bytes(), "image/jpeg", {})
        yield url, script


@contextlib.contextmanager
def modelport_again(
    workdir: Path, threads: int, path: str, jpeg: Path
) -> Iterator[tuple[str, Path]]:
    """``modelport serve`` again on the home a build was deployed to, once a call has started
    its worker: the call URL and a wrk script with the key."""
    with modelport_server(workdir, threads) as (base, key):
        headers = {"Authorization": f"Simple {key}"}
        check_label(base + path, jpeg.read_bytes(), "image/jpeg", headers)
        yield base + path, lua(workdir, "raw-again", jpeg, "image/jpeg", headers)


ROUNDS: dict[str, dict[str, list[Stats]]] = {}


def concurrency_one_rounds(
    model: Path, jpeg: Path, targets: dict[str, Target], args: argparse.Namespace
) -> dict[str, list[Stats]]:
    """Concurrency 1 against in-process b1 measured in the same round, ``--rounds`` times:
    each target's figures per round. This machine drifts by several per cent between minutes,
    more than the differences measured here, so each ratio compares neighbours in time. And
    one process's memory layout moves its speed by a few per cent (two identical servers
    differed by 2.4% over six interleaved rounds), so each round runs every target, and the
    in-process loop, in processes of its own."""
    found: dict[str, list[Stats]] = {"in-process b1": [], **{t: [] for t in targets}}
    for _ in range(args.rounds):
        found["in-process b1"].append(in_process_afresh(model, jpeg, args.seconds, args.threads))
        for target, start in targets.items():
            with start() as (url, script):
                warm = min(2.0, args.seconds)
                found[target].append(warm_then_load(url, script, 1, warm, args.seconds))
    return found


def in_process_afresh(model: Path, jpeg: Path, seconds: float, threads: int) -> Stats:
    """``in_process(model, jpeg, 1, ...)`` in a new interpreter."""
    code = (
        "import json, sys; from pathlib import Path; from vision_throughput import in_process;"
        " print(json.dumps(in_process(Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), 1,"
        " float(sys.argv[3]), int(sys.argv[4]))))"
    )
    argv = [sys.executable, "-c", code, str(model), str(jpeg), str(seconds), str(threads)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(argv, cwd=HERE, env=env, capture_output=True, text=True, check=True)
    stats: Stats = json.loads(done.stdout.strip().splitlines()[-1])
    return stats
