"""A worker's OS process: its own session, a scrubbed environment, a log, a group kill."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from modelport.adapters.runtime.cgroups import Group
from modelport.adapters.runtime.channel import Channel, Gateway
from modelport.adapters.runtime.logs import WorkerLog, drain
from modelport.adapters.runtime.sandbox import exit_status


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """How the workers of one deployment start and stop: the runner's settings applied to one
    build, made once per build and shared by its dispatcher and replicas."""

    argv: list[str]  # interpreter, worker package and its options, less ``--fd``/``--channel``
    env: dict[str, str]
    cwd: Path
    log: WorkerLog | None  # what the workers print; None: the gateway's stderr
    start_timeout: float  # seconds until the Ready frame
    stop_grace: float  # seconds between the Shutdown frame and SIGKILL
    sandboxed: bool = False  # started through bubblewrap (``sandbox.py``)
    group: Callable[[], Group] | None = None  # a new cgroup per worker (``cgroups.py``)
    max_frame: int = 2**31  # bytes a frame may carry per call in it (results and output)
    verify: Callable[[], str | None] | None = None  # before each start: a problem, or None
    gateway: Gateway | None = None  # where each worker's channel leads (``channel.py``)
    load_token: Callable[[], str] | None = None  # the owner's, minted anew for each start


def describe_exit(code: int) -> str:
    """``exited with code 3``, ``died from signal SIGSEGV``."""
    if code >= 0:
        return f"exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = str(-code)
    hint = " (killed by the system: out of memory?)" if -code == signal.SIGKILL else ""
    return f"died from signal {name}{hint}"


class WorkerProcess:
    """A spawned worker; ``exited`` resolves to its exit code once the process is reaped."""

    def __init__(
        self,
        proc: asyncio.subprocess.Process,
        log: WorkerLog | None,
        sandboxed: bool = False,
        group: Group | None = None,
    ) -> None:
        self._proc, self._log, self._sandboxed, self._group = proc, log, sandboxed, group
        self.exited: asyncio.Future[int] = asyncio.ensure_future(self._wait())
        # the output pipe, drained until every process holding it is gone (the exit code
        # does not wait for that: a process the worker left behind may hold it longer)
        self._drain = None
        if log is not None and proc.stdout is not None:
            self._drain = asyncio.ensure_future(drain(proc.stdout, log))

    async def _wait(self) -> int:
        code = await self._proc.wait()
        if self._group is not None:
            await asyncio.to_thread(self._group.remove_when_empty)
        return exit_status(code) if self._sandboxed else code

    @classmethod
    async def spawn(cls, spec: WorkerSpec, fd: int, channel: Channel | None) -> WorkerProcess:
        """Start the worker with ``fd`` (its socket) and its channel inherited; raises
        ``OSError``."""
        group = spec.group() if spec.group is not None else None
        argv, fds, env = [*spec.argv, "--fd", str(fd)], [fd], spec.env
        if channel is not None:
            argv, fds, env = channel.handed(argv, fds, env)
        try:
            proc = await asyncio.create_subprocess_exec(
                *(group.join(argv) if group is not None else argv),
                pass_fds=fds,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if spec.log else 2,
                stderr=subprocess.STDOUT if spec.log else 2,
                env=env,
                cwd=spec.cwd,
                start_new_session=True,  # a Ctrl-C in the gateway's terminal is not for them
            )
        except OSError:
            if group is not None:
                group.remove()
            raise
        return cls(proc, spec.log, spec.sandboxed, group)

    def kill(self) -> None:
        # Not Popen.kill(): it polls, which would reap the process behind the child watcher's
        # back and turn its exit code into 255. The group also takes the worker's children.
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)

    async def log_tail(self, limit: int = 4000) -> str:
        """The end of the worker log, for errors that happen before any call could run: what
        the worker printed up to its exit, if it has ended."""
        if self._log is None:
            return ""
        if self._drain is not None and self._proc.returncode is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._drain), 1.0)
        return self._log.tail(limit)
