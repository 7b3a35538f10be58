"""The worker process: imports one build's entrypoint, runs ``load()`` once, then serves calls.

The build environment's interpreter runs this file as a script, so it uses the standard
library only (``program.py`` beside it holds the user contract); the gateway imports the
frame format from here::

    python worker.py --source DIR --entrypoint algorithm.py:apply --fd 3 [--memory BYTES]
    python worker.py --source DIR --entrypoint algorithm.py:apply --check

A frame is ``!BII`` (kind, header length, payload length), a compact JSON header, then a raw
payload, so call inputs and encoded results cross the socket without being re-encoded.
Gateway → worker: CALLS ``{"calls": [[id, content_type, stdout, size, token], ...]}`` + the
bodies, SHUTDOWN. Worker → gateway: READY ``{"pid", "batchable", "error"}``, RESULTS
``{"results": [[id, content_type, size, duration, stdout, error], ...]}`` + the encoded
results, BYE (retiring after running out of memory; calls not yet answered never started).

A call's ``token`` (``""`` for none) is a short-lived key acting as the caller: while the call
runs it is ``ALGORITHMIA_API_KEY`` and ``MODELPORT_API_KEY`` in ``os.environ``, so
``Algorithmia.client()`` and ``modelport`` (the stdlib-only SDK in ``guest/``, last on
``sys.path`` so an installed modelport wins) reach ``data://.my/...`` and other algorithms as
the caller. Calls with different tokens never share an ``apply_batch``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import sys
from collections.abc import Sequence
from importlib import util as import_util
from types import ModuleType
from typing import TYPE_CHECKING, Any, BinaryIO

PREFIX = struct.Struct("!BII")
READY, CALLS, RESULTS, SHUTDOWN, BYE = 1, 2, 3, 4, 5
KEY_VARIABLES = ("ALGORITHMIA_API_KEY", "MODELPORT_API_KEY")  # the caller's token, per call
_HEADER = json.JSONEncoder(separators=(",", ":"))  # one encoder for every frame's header
GUEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "guest")  # ``import modelport``


def _sibling(name: str) -> ModuleType:
    """Load a module beside this file by path, under a name no user module has."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    spec = import_util.spec_from_file_location(f"_modelport_{name}", path)
    assert spec is not None and spec.loader is not None
    module = import_util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    Frame = tuple[int, Any, bytes]

if TYPE_CHECKING or __package__:
    from modelport.adapters.runtime.program import Outcome, Program
else:  # a script in the build's environment, where modelport may be absent or another version
    _program = _sibling("program")
    Outcome, Program = _program.Outcome, _program.Program


def pack(kind: int, header: object, parts: Sequence[bytes] = ()) -> bytes:
    """One frame: ``pack(RESULTS, {"results": [...]}, [body])``."""
    return b"".join(buffers(kind, header, parts))


def buffers(kind: int, header: object, parts: Sequence[bytes] = ()) -> list[bytes]:
    """One frame as buffers to write in order: prefix and header, then the parts, uncopied."""
    head = _HEADER.encode(header).encode()
    size = sum(len(p) for p in parts)
    return [PREFIX.pack(kind, len(head), size) + head, *parts]


def read_frame(stream: BinaryIO) -> Frame | None:
    """The next frame from a blocking stream; ``None`` at end of stream."""
    prefix = stream.read(PREFIX.size)
    if len(prefix) < PREFIX.size:
        return None
    kind, head_size, size = PREFIX.unpack(prefix)
    head, payload = stream.read(head_size), stream.read(size)
    if len(head) < head_size or len(payload) < size:
        return None
    return kind, json.loads(head), payload


def runs_as_batch(batchable: bool, count: int) -> bool:
    """Whether a worker runs a frame of ``count`` calls through ``apply_batch`` in one go."""
    return batchable and count > 1


LOAD_KEY = "MODELPORT_LOAD_KEY"


class Identity:
    """Makes a call's token the API key in ``os.environ`` while it runs.

    ``leave()`` after a call with a token puts back the worker's own values (normally none),
    undoing whatever the call set there too, so no caller's key outlives its call. A call
    without a token costs nothing.
    """

    def __init__(self) -> None:
        self._own = [(name, os.environ.get(name)) for name in KEY_VARIABLES]
        self._entered = False

    def enter(self, token: str) -> None:
        if token:
            self._entered = True
            for name in KEY_VARIABLES:
                os.environ[name] = token

    def leave(self) -> None:
        if self._entered:
            self._entered = False
            for name, value in self._own:
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def serve(sock: socket.socket, program: Program, identity: Identity | None = None) -> int:
    """Answer Calls frames until Shutdown, end of stream, or running out of memory."""
    header = {"pid": os.getpid(), "batchable": program.batchable, "error": program.error}
    sock.sendall(pack(READY, header))
    identity = identity or Identity()
    with sock.makefile("rb") as stream:
        while (frame := read_frame(stream)) is not None and frame[0] == CALLS:
            calls, offset, rows = [], 0, frame[1]["calls"]
            for call_id, content_type, capture, size, token in rows:
                body = frame[2] if len(rows) == 1 else frame[2][offset : offset + size]
                calls.append((call_id, content_type, body, capture, token))
                offset += size
            if not _answer(sock, program, identity, calls):
                # The heap may be left in a bad state: retire; unstarted calls go elsewhere.
                sock.sendall(pack(BYE, {"reason": "out of memory"}))
                return 1
    return 0


def _answer(sock: socket.socket, program: Program, identity: Identity, calls: list[Any]) -> bool:
    """Run one frame's calls, streaming results; ``False`` when memory ran out."""
    if runs_as_batch(program.batchable, len(calls)):
        outcomes = _run_batch(program, identity, calls)
        sock.sendall(_results([c[0] for c in calls], outcomes))
        return not any(_out_of_memory(o) for o in outcomes)
    for call_id, content_type, body, capture, token in calls:
        identity.enter(token)
        try:
            outcome = program.run_one(content_type, body, capture)
            sock.sendall(_results([call_id], [outcome]))
        finally:
            identity.leave()  # once the result is on its way: no user code runs in between
        if _out_of_memory(outcome):
            return False
    return True


def _run_batch(program: Program, identity: Identity, calls: list[Any]) -> list[Outcome]:
    """One ``apply_batch`` per token (the dispatcher sends one), outcomes in frame order."""
    groups: dict[str, list[int]] = {}
    for i, call in enumerate(calls):
        groups.setdefault(call[4], []).append(i)
    outcomes: list[Any] = [None] * len(calls)
    for token, indices in groups.items():
        identity.enter(token)
        try:
            if len(indices) == 1:
                _id, content_type, body, capture, _token = calls[indices[0]]
                answers = [program.run_one(content_type, body, capture)]
            else:
                answers = program.run_batch([calls[i][1:4] for i in indices])
        finally:
            identity.leave()
        for k, i in enumerate(indices):  # no zip(strict=): workers run on Python 3.8 too
            outcomes[i] = answers[k]
    return outcomes


def _out_of_memory(outcome: Outcome) -> bool:
    return outcome.error is not None and outcome.error[1] == "OutOfMemoryError"


def _results(ids: Sequence[int], outcomes: Sequence[Outcome]) -> bytes:
    rows = [
        [ids[i], o.content_type, len(o.body), o.duration, o.stdout, o.error]
        for i, o in enumerate(outcomes)
    ]
    return pack(RESULTS, {"results": rows}, [o.body for o in outcomes])


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
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--memory", type=int, default=0)
    args = parser.parse_args(argv)
    if args.memory > 0:
        import resource

        # RLIMIT_DATA, not RLIMIT_AS: BLAS threads reserve address space they never touch.
        resource.setrlimit(resource.RLIMIT_DATA, (args.memory, args.memory))
    source = os.path.abspath(args.source)
    os.chdir(source)
    here = os.path.dirname(os.path.abspath(__file__))
    folder = os.path.dirname(os.path.join(source, args.entrypoint.split(":", 1)[0]))
    # This file's folder holds modules named like user code might be; only the source counts.
    rest = [p for p in sys.path if p and os.path.abspath(p) not in (here, source, folder)]
    # The stdlib-only SDK comes last, so a modelport installed in the environment wins.
    sys.path[:] = [*dict.fromkeys([folder, source]), *rest, GUEST]
    if args.check:
        return check(source, args.entrypoint)
    sock = socket.socket(fileno=args.fd)
    sock.set_inheritable(False)  # processes the algorithm starts must not hold it open
    program = Program(source, args.entrypoint)
    # load() acts as the algorithm's owner (``data://.my/...`` is the owner's data); that key
    # is removed from the environment once load() returns
    identity = Identity()
    identity.enter(os.environ.pop(LOAD_KEY, ""))
    program.load()
    identity.leave()
    try:
        return serve(sock, program, identity)
    finally:
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
