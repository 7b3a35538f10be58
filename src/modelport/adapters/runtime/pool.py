"""The local runner: worker processes on this machine, per build, behind bounded queues."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import modelport.worker
from modelport.adapters.runtime.cgroups import Cgroups, Group
from modelport.adapters.runtime.channel import Channel, Gateway
from modelport.adapters.runtime.dispatcher import Dispatcher
from modelport.adapters.runtime.logs import WorkerLog, read_tail
from modelport.adapters.runtime.process import WorkerSpec, describe_exit
from modelport.adapters.runtime.sandbox import Sandbox, exit_status, python_prefix
from modelport.core.calls import CallRequest, CallResult
from modelport.core.ports import CheckResult, Deployment
from modelport.core.sources import folder_hash

WORKER = Path(modelport.worker.__file__).resolve().parent  # run as ``python -s WORKER``
SDK = WORKER.parent / "sdk"  # what ``import modelport`` finds in a worker
_PASSED = ("PATH", "HOME", "LANG")  # all a worker gets from the gateway's own environment
CHECK_OUTPUT = 2**20  # bytes of what an import check prints kept for the build's log (its end)
T = TypeVar("T")


class LocalRunner:
    """Implements the ``Runner`` port with worker processes started lazily per build::

    runner = LocalRunner(worker_idle_ttl=600, worker_start_timeout=120, worker_threads=1)
    result = await runner.call(deployment, CallRequest(ContentType.JSON, b"1", timeout=5))
    await runner.close()
    """

    def __init__(
        self,
        *,
        worker_idle_ttl: float = 600.0,
        worker_start_timeout: float = 120.0,
        worker_threads: int = 1,
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        stop_grace: float = 2.0,
        load_key: Callable[[Deployment], str] | None = None,
        sandbox: Sandbox | None = None,
        cgroups: Cgroups | None = None,
        processes: int = 256,
        max_result_bytes: int = 64 * 2**20,
        max_stdout_chars: int = 2**20,
        gateway: Gateway | None = None,
        max_log_bytes: int = 16 * 2**20,
        allow_network: bool = True,
    ) -> None:
        self.idle_ttl, self.start_timeout = worker_idle_ttl, worker_start_timeout
        self.threads, self.log_dir, self.stop_grace = worker_threads, log_dir, stop_grace
        self.env = dict(env or {})
        self.load_key = load_key  # the owner's read-only token, minted per worker start
        self.sandbox, self.cgroups, self.processes = sandbox, cgroups, processes
        self.max_result, self.max_stdout = max_result_bytes, max_stdout_chars
        self.gateway = gateway  # where workers' channels lead (``channel.py``); None: nowhere
        self.max_log = max_log_bytes
        self.allow_network = allow_network  # off: builds made before it was set run isolated too
        self._logs: dict[str, WorkerLog] = {}  # by build: its workers share one, and its cap
        self._dispatchers: dict[str, Dispatcher] = {}
        self._reaper: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # workers talk to one loop

    def environment(self, deployment: Deployment) -> dict[str, str]:
        """A scrubbed environment: no database URL, storage credentials or admin key."""
        env = {name: os.environ[name] for name in _PASSED if name in os.environ}
        env.setdefault("PATH", os.defpath)
        env.setdefault("LANG", "C.UTF-8")
        threads = str(self.threads)
        env.update(
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
            OMP_NUM_THREADS=threads,
            OPENBLAS_NUM_THREADS=threads,
            MKL_NUM_THREADS=threads,
        )
        env.update(deployment.manifest.env)
        env.update(self.env)
        return env

    def _load_token(self, deployment: Deployment) -> Callable[[], str] | None:
        """A fresh owner's token for every worker start: a replacement started hours later
        must not get an expired one."""
        mint = self.load_key
        return None if mint is None else lambda: mint(deployment)

    def _argv(self, deployment: Deployment) -> list[str]:
        # -s: no user site-packages; the build's environment is the only one
        argv = [str(deployment.python), "-s", str(WORKER)]
        argv += ["--source", str(deployment.source_dir)]
        argv += ["--entrypoint", deployment.manifest.entrypoint]
        if deployment.manifest.memory > 0:
            argv += ["--memory", str(deployment.manifest.memory)]
        argv += ["--max-result", str(self.max_result), "--max-stdout", str(self.max_stdout)]
        if self.sandbox is None:
            return argv
        environment = deployment.python.parent.parent
        reads = [python_prefix(deployment.python), environment, deployment.source_dir]
        reads += [WORKER, SDK]
        isolated = deployment.manifest.network == "isolated" or not self.allow_network
        return self.sandbox.wrap(argv, reads=reads, cwd=deployment.source_dir, isolated=isolated)

    def _group(self, deployment: Deployment) -> Callable[[], Group] | None:
        """A new cgroup for each worker started: the manifest's memory for its whole tree."""
        cgroups, memory = self.cgroups, deployment.manifest.memory
        if cgroups is None or memory <= 0:
            return None
        return lambda: cgroups.make(memory, self.processes)

    def _log(self, deployment: Deployment) -> WorkerLog | None:
        if self.log_dir is None:
            return None
        log = self._logs.get(deployment.key)
        if log is None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            name = f"{re.sub(r'[^A-Za-z0-9._-]+', '_', deployment.key)}.log"
            log = self._logs[deployment.key] = WorkerLog(self.log_dir / name, self.max_log)
        return log

    def check(self, deployment: Deployment) -> CheckResult:
        """Import the entrypoint in a real worker, without running ``load()``; the import
        acts as the owner through the worker's channel, as it will when the worker serves."""
        return _on_own_loop(self._check(deployment))

    async def _check(self, deployment: Deployment) -> CheckResult:
        token = self.load_key(deployment) if self.load_key is not None else ""
        channel = Channel(self.gateway, lambda: token) if self.gateway is not None else None
        make = self._group(deployment)
        group = make() if make is not None else None
        argv, env = [*self._argv(deployment), "--check"], self.environment(deployment)
        fds: list[int] = []
        if channel is not None:
            argv, fds, env = channel.handed(argv, fds, env)
        try:
            process = await asyncio.create_subprocess_exec(
                *(group.join(argv) if group is not None else argv),
                env=env,
                cwd=deployment.source_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=fds,
            )
        except OSError as exc:
            return CheckResult(False, f"cannot start a worker: {exc}")
        finally:
            if channel is not None:
                channel.spawned()
        assert process.stdout is not None and process.stderr is not None
        # what the import prints is kept up to the log's cap, its end: no output is too much
        outputs = asyncio.gather(
            read_tail(process.stdout, 2**16),
            read_tail(process.stderr, min(self.max_log, CHECK_OUTPUT)),
            process.wait(),
        )
        try:
            stdout, stderr, _ = await asyncio.wait_for(outputs, self.start_timeout)
        except TimeoutError:
            process.kill()  # bubblewrap's --die-with-parent takes the rest
            await process.wait()
            return CheckResult(False, f"importing took longer than {self.start_timeout} s")
        finally:
            if channel is not None:
                channel.close()
            if group is not None:
                await asyncio.to_thread(group.remove_when_empty)
        code = process.returncode if process.returncode is not None else -1
        returncode = code if self.sandbox is None else exit_status(code)
        log = stderr.decode("utf-8", "replace")
        lines = stdout.decode("utf-8", "replace").strip().splitlines()
        try:
            report = json.loads(lines[-1])
        except (IndexError, ValueError):
            how = describe_exit(returncode)
            return CheckResult(False, f"{log}the import check {how} without a report".lstrip())
        if report["error"]:
            message, error_type, trace = report["error"]
            log += trace or f"{error_type}: {message}\n"
        return CheckResult(bool(report["ok"]), log, bool(report["batchable"]))

    async def call(self, deployment: Deployment, request: CallRequest) -> CallResult:
        if asyncio.get_running_loop() is not self._loop:
            self._bind_loop()
        dispatcher = self._dispatchers.get(deployment.key)
        if dispatcher is None:
            spec = WorkerSpec(
                argv=self._argv(deployment),
                env=self.environment(deployment),
                cwd=deployment.source_dir,
                log=self._log(deployment),
                start_timeout=self.start_timeout,
                stop_grace=self.stop_grace,
                sandboxed=self.sandbox is not None,
                group=self._group(deployment),
                # a result, its output (6 bytes a character at most, JSON-escaped) and its row
                max_frame=self.max_result + 6 * self.max_stdout + 2**16,
                verify=_verifier(deployment),
                gateway=self.gateway,
                load_token=self._load_token(deployment),
            )
            dispatcher = Dispatcher(deployment, spec)
            self._dispatchers[deployment.key] = dispatcher
            if self._reaper is None:
                self._reaper = asyncio.create_task(self._reap_idle())
        return await dispatcher.call(request)

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self._loop is not None and not self._loop.is_closed() and self._dispatchers:
            raise RuntimeError("a LocalRunner serves the one event loop it first ran on")
        self._loop, self._dispatchers, self._reaper = loop, {}, None

    async def stop(self, key: str) -> None:
        dispatcher = self._dispatchers.pop(key, None)
        if dispatcher is not None:
            await dispatcher.close()

    def workers(self) -> dict[str, int]:
        counts: dict[str, int] = {"starting": 0, "idle": 0, "busy": 0}
        for dispatcher in self._dispatchers.values():
            for state, n in dispatcher.counts().items():
                counts[state] = counts.get(state, 0) + n
        return counts

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        dispatchers = list(self._dispatchers.values())
        self._dispatchers.clear()
        await asyncio.gather(*(d.close() for d in dispatchers))

    async def _reap_idle(self) -> None:
        loop = asyncio.get_running_loop()
        tick = min(max(self.idle_ttl / 4, 0.01), 5.0)
        while True:
            await asyncio.sleep(tick)
            for key, dispatcher in list(self._dispatchers.items()):
                dispatcher.reap_idle(loop.time(), self.idle_ttl)
                if dispatcher.unused:
                    del self._dispatchers[key]


def _verifier(deployment: Deployment) -> Callable[[], str | None] | None:
    """A check that the build's files on disk still hash to the build's id: what runs is
    what was built and published, byte for byte."""
    expected = deployment.build_hash
    if expected is None:
        return None

    def verify() -> str | None:
        if folder_hash(deployment.source_dir) == expected:
            return None
        return (
            f"the files of build {expected} on disk no longer match its hash: they were"
            " changed after it was built, so no worker runs them (redeploy the folder)"
        )

    return verify


def _on_own_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` on an event loop of its own, in a thread of its own: callable from a build
    thread and from code already on a loop alike."""
    with ThreadPoolExecutor(1, thread_name_prefix="modelport-check") as thread:
        return thread.submit(asyncio.run, work).result()
