"""The worker process: imports one build's entrypoint, runs ``load()`` once, then serves calls.

    python -s .../modelport/worker --source DIR --entrypoint algorithm.py:apply --fd 3 [--memory B]
    python -s .../modelport/worker --source DIR --entrypoint algorithm.py:apply --check

It reads ``CALLS`` frames from the socket on ``--fd`` and answers each call with a
``RESULTS`` frame (``protocol.py``). With ``--channel FD`` it reaches the gateway through its
channel (``channel.py``), which acts as the owner while the module is imported and ``load()``
runs, and as the running call's caller after. User code that imports ``modelport`` gets the
stdlib-only SDK beside this package (``modelport/sdk``) unless the build's environment has
modelport installed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import sys
from importlib import abc as import_abc
from importlib import machinery
from importlib import util as import_util
from typing import TYPE_CHECKING

from .channel import open_channel
from .program import STDOUT_LIMIT, Outcome, Program
from .protocol import (
    CallRow,
    Kind,
    ResultRow,
    pack,
    read_calls,
    read_frame,
    ready,
    results,
    runs_as_batch,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

    Call = tuple[CallRow, bytes]

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.join(os.path.dirname(HERE), "sdk")  # what ``import modelport`` finds last


class SdkFinder(import_abc.MetaPathFinder):
    """Answers ``import modelport`` with the SDK when nothing on ``sys.path`` does. It comes
    last on ``sys.meta_path``, so a modelport installed in the environment wins."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> machinery.ModuleSpec | None:
        if name != "modelport":
            return None
        init = os.path.join(SDK, "__init__.py")
        return import_util.spec_from_file_location(name, init, submodule_search_locations=[SDK])


def serve(sock: socket.socket, program: Program) -> int:
    """Answer ``CALLS`` frames until ``SHUTDOWN``, end of stream, or running out of memory."""
    sock.sendall(ready(os.getpid(), program.batchable, program.error))
    with sock.makefile("rb") as stream:
        while (frame := read_frame(stream)) is not None and frame.kind == Kind.CALLS:
            if not _answer(sock, program, list(read_calls(frame))):
                # The heap may be left in a bad state: retire; unstarted calls go elsewhere.
                sock.sendall(pack(Kind.BYE, {"reason": "out of memory"}))
                return 1
    return 0


def _answer(sock: socket.socket, program: Program, calls: list[Call]) -> bool:
    """Run one frame's calls, streaming results; ``False`` when memory ran out."""
    if runs_as_batch(program.batchable, len(calls)):
        outcomes = program.run_batch([(row.content_type, body, row.capture) for row, body in calls])
        sock.sendall(_results([row.id for row, _ in calls], outcomes))
        return not any(_out_of_memory(o) for o in outcomes)
    for row, body in calls:
        outcome = program.run_one(row.content_type, body, row.capture)
        sock.sendall(_results([row.id], [outcome]))
        if _out_of_memory(outcome):
            return False
    return True


def _out_of_memory(outcome: Outcome) -> bool:
    return outcome.error is not None and outcome.error.out_of_memory


def _results(ids: Sequence[int], outcomes: Sequence[Outcome]) -> bytes:
    rows = [
        ResultRow(ids[i], o.content_type, len(o.body), o.duration, o.stdout, o.error)
        for i, o in enumerate(outcomes)
    ]
    return results(rows, [o.body for o in outcomes])


def check(source: str, entrypoint: str) -> int:
    """Import without loading; the report is the last line on stdout."""
    report = os.dup(1)
    os.dup2(2, 1)  # whatever the import prints goes to stderr, not into the report
    program = Program(source, entrypoint)
    result = {"ok": program.error is None, "batchable": program.batchable, "error": program.error}
    sys.stdout.flush()
    os.write(report, json.dumps(result).encode() + b"\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="modelport worker")
    parser.add_argument("--source", required=True)
    parser.add_argument("--entrypoint", required=True)
    parser.add_argument("--fd", type=int)
    parser.add_argument("--channel", type=int, help="the socket to hand connections to")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--memory", type=int, default=0)
    parser.add_argument("--max-result", type=int, default=0, help="bytes of one encoded result")
    parser.add_argument("--max-stdout", type=int, default=STDOUT_LIMIT, help="characters")
    args = parser.parse_args(argv)
    if args.memory > 0:
        # RLIMIT_DATA, not RLIMIT_AS: BLAS threads reserve address space they never touch.
        resource.setrlimit(resource.RLIMIT_DATA, (args.memory, args.memory))
    source = os.path.abspath(args.source)
    os.chdir(source)
    folder = os.path.dirname(os.path.join(source, args.entrypoint.split(":", 1)[0]))
    # This package's folder holds modules named like user code might be; only the source counts.
    rest = [p for p in sys.path if p and os.path.abspath(p) not in (HERE, source, folder)]
    sys.path[:] = [*dict.fromkeys([folder, source]), *rest]
    sys.meta_path.append(SdkFinder())
    if args.channel is not None:  # the gateway is reached through the channel alone
        os.environ["MODELPORT_API"] = os.environ["ALGORITHMIA_API"] = open_channel(args.channel)
    if args.check:
        return check(source, args.entrypoint)
    sock = socket.socket(fileno=args.fd)
    sock.set_inheritable(False)  # processes the algorithm starts must not hold it open
    program = Program(
        source, args.entrypoint, stdout_limit=args.max_stdout, result_limit=args.max_result
    )
    program.load()  # as the owner: the channel says so until the Ready frame
    try:
        return serve(sock, program)
    finally:
        sock.close()
