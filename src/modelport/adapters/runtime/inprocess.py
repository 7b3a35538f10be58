"""An in-memory fake of the ``Runner`` port: algorithms run inside the test process."""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
from pathlib import Path

from modelport.core.calls import CallError, CallRequest, CallResult, ContentType
from modelport.core.ports import CheckResult, Deployment
from modelport.worker.program import Outcome, Program

_TYPES = {t.value: t for t in ContentType}
_names = itertools.count()


def to_result(outcome: Outcome) -> CallResult:
    error = CallError(*outcome.error) if outcome.error else None
    kind = _TYPES[outcome.content_type]
    return CallResult(kind, outcome.body, outcome.duration, error, outcome.stdout)


def import_program(deployment: Deployment) -> Program:
    """Import a build's entrypoint under a module name of its own, without loading it."""
    source = str(deployment.source_dir)
    folder = str(Path(source, deployment.manifest.module_file).parent)
    name = "_modelport_inprocess_" + re.sub(r"\W", "_", deployment.key) + f"_{next(_names)}"
    sys.path[:0] = [folder, source]  # for imports of modules beside the entrypoint
    try:
        return Program(source, deployment.manifest.entrypoint, module_name=name)
    finally:
        sys.path.remove(folder)
        sys.path.remove(source)


class InProcessRunner:
    """Runs calls in this process, for fast service tests; same decoding as real workers.

    No isolation: a crash takes the test process with it, and a call past its timeout is
    answered with ``TimeoutError`` but keeps running in its thread. ``apply_batch`` is not used.
    """

    def __init__(self) -> None:
        self._programs: dict[str, Program] = {}
        self._busy = 0

    def check(self, deployment: Deployment) -> CheckResult:
        program = import_program(deployment)
        log = program.error[2] if program.error else ""
        return CheckResult(program.error is None, log, program.batchable)

    async def call(self, deployment: Deployment, request: CallRequest) -> CallResult:
        program = self._programs.get(deployment.key)
        if program is None:
            program = import_program(deployment)
            program.load()
            self._programs[deployment.key] = program
        self._busy += 1
        try:
            run = asyncio.to_thread(
                program.run_one, request.content_type.value, request.body, request.stdout
            )
            return to_result(await asyncio.wait_for(run, request.timeout))
        except TimeoutError:
            message = f"call exceeded its {round(request.timeout, 3)} s timeout"
            return CallResult(
                ContentType.JSON, b"null", request.timeout, CallError(message, "TimeoutError")
            )
        finally:
            self._busy -= 1

    async def stop(self, key: str) -> None:
        self._programs.pop(key, None)

    def workers(self) -> dict[str, int]:
        idle = max(0, len(self._programs) - self._busy)
        return {"starting": 0, "idle": idle, "busy": self._busy}

    async def close(self) -> None:
        self._programs.clear()
