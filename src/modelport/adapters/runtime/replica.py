"""One worker process seen from the gateway: spawn, frames over a socketpair, deadlines, death."""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from modelport.adapters.runtime.channel import Channel
from modelport.adapters.runtime.process import WorkerProcess, WorkerSpec, describe_exit
from modelport.core.calls import CallError, CallRequest, CallResult, ContentType
from modelport.worker import protocol
from modelport.worker.protocol import CallRow, Frame, Kind, Ready

_TYPES = {t.value: t for t in ContentType}


@dataclass(slots=True, eq=False)
class Pending:
    """A call waiting in a queue or sent to a worker."""

    id: int
    request: CallRequest
    future: asyncio.Future[CallResult]
    queued_at: float
    expiry: asyncio.TimerHandle | None = None  # its timeout while not started (Dispatcher)

    def due(self, ready_at: float) -> float:
        """When its timeout ends: counted from when it was made, or from when a worker was
        first ready for it (waiting behind other calls counts, a worker's start does not)."""
        return max(self.queued_at, ready_at) + self.request.timeout


class ReplicaState(StrEnum):
    STARTING = "starting"  # spawned, its Ready frame not yet read
    IDLE = "idle"
    BUSY = "busy"  # calls in flight
    GONE = "gone"  # stopped, crashed, timed out or retired: never used again


class StartFailed(Exception):
    def __init__(self, error: CallError) -> None:
        super().__init__(error.message)
        self.error = error


def failed(pending: Pending, error: CallError, duration: float = 0.0) -> None:
    if not pending.future.done():
        pending.future.set_result(CallResult(ContentType.JSON, b"null", duration, error))


class Replica(asyncio.Protocol):
    """One worker process; its ``state`` goes ``STARTING`` → ``IDLE`` ⇄ ``BUSY`` → ``GONE``.

    Results arrive in the order calls were sent, so the head of ``inflight`` is the running
    call (or, for an ``apply_batch`` frame, all of them) and no "started" message is needed.
    As the socket's protocol it cuts frames from the byte stream without a reader task.
    """

    def __init__(
        self,
        spec: WorkerSpec,
        on_idle: Callable[[Replica], None],
        on_lost: Callable[[Replica, list[Pending]], None],
    ) -> None:
        self.spec, self._on_idle, self._on_lost = spec, on_idle, on_lost
        self.state = ReplicaState.STARTING
        self.batchable = False
        self.inflight: deque[Pending] = deque()
        self.idle_since = 0.0
        self.ready_at = float("inf")  # when its Ready frame came
        self._loop = asyncio.get_running_loop()
        self._ready: asyncio.Future[Ready | None] = self._loop.create_future()
        self._batch = False  # the frame in flight runs through apply_batch
        self._started = self._deadline = self._timeout = 0.0  # of the running call (or batch)
        self._timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.Transport | None = None
        self._process: WorkerProcess | None = None
        self._channel: Channel | None = None
        self._load_token = ""
        self._buffer = bytearray()

    @property
    def exited(self) -> asyncio.Future[int] | None:
        """The exit code once the process is reaped; ``None`` if it never started."""
        return None if self._process is None else self._process.exited

    @property
    def unstarted(self) -> int:
        return 0 if self._batch or not self.inflight else len(self.inflight) - 1

    def running(self, pending: Pending) -> bool:
        """Whether ``pending`` is running in this worker now (not waiting behind another)."""
        if self.state is not ReplicaState.BUSY or not self.inflight:
            return False
        return pending in self.inflight if self._batch else self.inflight[0] is pending

    def identity(self) -> str:
        """The token the worker's requests act with now (``channel.py``): the owner's while
        it starts, the running call's caller's while busy, none when idle. One frame's calls
        share one token, so it cannot change under a call in flight."""
        if self.state is ReplicaState.STARTING:
            return self._load_token
        if self.state is ReplicaState.BUSY and self.inflight:
            return self.inflight[0].request.token
        return ""

    async def start(self) -> None:
        """Spawn the worker and wait for its Ready frame; raises ``StartFailed``."""
        spec = self.spec
        if spec.verify is not None:
            problem = await asyncio.to_thread(spec.verify)
            if problem is not None:
                raise StartFailed(CallError(problem, "LoadingError"))
        if spec.load_token is not None:  # minted per start: a later one must not be expired
            self._load_token = await asyncio.to_thread(spec.load_token)
        if spec.gateway is not None:
            self._channel = Channel(spec.gateway, self.identity)
        parent, child = socket.socketpair()
        try:
            self._process = process = await WorkerProcess.spawn(spec, child.fileno(), self._channel)
        except OSError as exc:
            parent.close()
            self._discard()
            message = f"cannot start a worker: {exc}"
            raise StartFailed(CallError(message, "LoadingError")) from exc
        finally:
            child.close()
            if self._channel is not None:
                self._channel.spawned()
        if self.state is ReplicaState.GONE:  # stopped while spawning
            parent.close()
            process.kill()
        else:  # the transport owns the socket from here on
            self._transport, _ = await self._loop.create_unix_connection(lambda: self, sock=parent)
        try:
            ready = await asyncio.wait_for(asyncio.shield(self._ready), self.spec.start_timeout)
        except TimeoutError:
            self._discard()
            limit = self.spec.start_timeout
            message = f"the worker did not become ready within {limit} s"
            raise StartFailed(
                CallError(message, "LoadingError", await process.log_tail())
            ) from None
        if ready is None:  # the connection closed first: stopped, or died while starting
            self._discard()
            what = describe_exit(await process.exited)
            message = f"the worker {what} while starting (see the worker log)"
            raise StartFailed(CallError(message, "LoadingError", await process.log_tail()))
        self.batchable = ready.batchable
        self.ready_at = self._loop.time()
        self._idle()

    def send(self, calls: list[Pending]) -> None:
        """Hand a worker calls in one frame; it must be idle."""
        assert self._transport is not None and not self.inflight
        self.state = ReplicaState.BUSY
        self.inflight.extend(calls)
        self._batch = protocol.runs_as_batch(self.batchable, len(calls))
        requests = [p.request for p in calls]
        rows = [
            CallRow(p.id, r.content_type.value, r.stdout, len(r.body))
            for p, r in zip(calls, requests, strict=True)
        ]
        # the bodies go out as they are, not copied into one frame (an image is large)
        self._transport.writelines(protocol.calls(rows, [r.body for r in requests]))
        self._arm(self._loop.time())

    async def stop(self, grace: float) -> None:
        """Shutdown frame, then SIGKILL after ``grace`` seconds; fails calls in flight."""
        if self.state is ReplicaState.GONE:
            return
        if not self._ready.done():
            self._ready.set_result(None)  # start() wakes up, kills the worker and says so
        elif self._transport is not None:
            self._transport.write(protocol.pack(Kind.SHUTDOWN, {}))
        for pending in self.inflight:
            failed(pending, CallError("the algorithm's workers were stopped", "SystemExit"))
        self.inflight.clear()
        self._discard(kill=False)  # closing the transport flushes the Shutdown frame first
        if self._process is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._process.exited), grace)
            except TimeoutError:
                self._process.kill()
                await self._process.exited

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        limit = self.spec.max_frame * max(1, len(self.inflight))
        try:
            for frame in protocol.split_frames(self._buffer, limit):
                if self.state is ReplicaState.GONE:
                    return
                self._frame(frame)
        except protocol.FrameTooLarge as exc:  # a result past the worker's own check: hostile
            self._refused(str(exc))

    def _refused(self, message: str) -> None:
        """The worker broke the protocol: kill it; its calls fail, unstarted ones go on."""
        if self.state is ReplicaState.STARTING:
            self._discard()  # start() sees the connection closed and reports it
            return
        self._abandon(CallError(f"{message}; the worker was stopped", "ResultTooLarge"))

    def _frame(self, frame: Frame) -> None:
        if frame.kind == Kind.RESULTS:
            self._results(frame)
        elif frame.kind == Kind.READY and not self._ready.done():
            self._load_token = ""  # import and load() are over, and the owner's token with them
            self._ready.set_result(protocol.read_ready(frame.header))
        elif frame.kind == Kind.BYE:
            unstarted = list(self.inflight)
            self.inflight.clear()
            self._discard()
            self._on_lost(self, unstarted)

    def _results(self, frame: Frame) -> None:
        retiring = False
        for row, body in protocol.read_results(frame):
            pending = self.inflight.popleft()
            error = row.error
            retiring = retiring or (error is not None and error.out_of_memory)
            if not pending.future.done():
                fault = CallError(*error) if error else None
                result = CallResult(_TYPES[row.content_type], body, row.duration, fault, row.stdout)
                pending.future.set_result(result)
        if retiring:
            # the worker retires after running out of memory: hand it nothing more (a call
            # sent now would race its exit), and its unstarted calls go to a fresh worker
            unstarted = list(self.inflight)
            self.inflight.clear()
            self._discard()
            self._on_lost(self, unstarted)
            return
        if self.inflight:
            self._arm(self._loop.time())  # the next call of the frame starts now
        elif self.state is ReplicaState.BUSY:
            self._idle()

    def _idle(self) -> None:
        self.state, self.idle_since = ReplicaState.IDLE, self._loop.time()
        self._on_idle(self)

    def _arm(self, now: float) -> None:
        """Set the deadline of the running call, or of the whole batch (its shortest timeout).

        The timer is only moved earlier, never cancelled per call: when it fires early it
        re-arms for the deadline of whatever runs then, which keeps the hot path cheap.
        """
        running = self.inflight if self._batch else (self.inflight[0],)
        self._timeout = min(p.request.timeout for p in running)
        # queued time behind other calls included (``Pending.due``); a call already answered as
        # timed out while it waited in this frame gets its full timeout to end in
        self._started = now
        self._deadline = min(
            now + p.request.timeout if p.future.done() else p.due(self.ready_at) for p in running
        )
        if self._timer is None or self._timer.when() > self._deadline:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(self._deadline, self._check_deadline)

    def _check_deadline(self) -> None:
        self._timer = None
        if self.state is not ReplicaState.BUSY:
            return
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._check_deadline)
            return
        self._timed_out(self._timeout)

    def _running(self) -> tuple[list[Pending], list[Pending]]:
        """Split calls in flight into the running ones and those not started."""
        calls = list(self.inflight)
        self.inflight.clear()
        return (calls, []) if self._batch else (calls[:1], calls[1:])

    def _timed_out(self, timeout: float) -> None:
        message = f"call exceeded its {round(timeout, 3)} s timeout; the worker was restarted"
        self._abandon(CallError(message, "TimeoutError"))

    def _abandon(self, error: CallError) -> None:
        """Kill the worker: the running calls fail with ``error``, the unstarted go on."""
        running, unstarted = self._running()
        elapsed = self._loop.time() - self._started
        self._discard()
        for pending in running:
            failed(pending, error, elapsed)
        self._on_lost(self, unstarted)

    def connection_lost(self, exc: Exception | None) -> None:
        """The worker died, unless we closed the connection."""
        if not self._ready.done():
            self._ready.set_result(None)
        if self.state in (ReplicaState.GONE, ReplicaState.STARTING):
            return
        running, unstarted = self._running()
        elapsed = self._loop.time() - self._started
        self._discard(kill=False)
        assert self._process is not None
        # A worker that closed its socket but lingers gets killed; its exit code names the cause.
        killer = self._loop.call_later(2.0, self._process.kill)

        def answer(exited: asyncio.Future[int]) -> None:
            killer.cancel()
            what = describe_exit(exited.result())
            message = f"the worker {what} during the call; the next call gets a fresh worker"
            for pending in running:
                failed(pending, CallError(message, "SystemExit"), elapsed)

        self._process.exited.add_done_callback(answer)
        self._on_lost(self, unstarted)

    def _discard(self, kill: bool = True) -> None:
        self.state = ReplicaState.GONE
        if self._channel is not None:
            self._channel.close()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if kill and self._process is not None:
            self._process.kill()
        if self._transport is not None:
            self._transport.close()
            self._transport = None
