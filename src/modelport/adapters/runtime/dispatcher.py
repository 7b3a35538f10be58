"""The queue and the workers of one deployment: calls go to idle workers in batched frames."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from modelport.adapters.runtime.process import WorkerSpec
from modelport.adapters.runtime.replica import Pending, Replica, ReplicaState, StartFailed, failed
from modelport.core.calls import CallError, CallRequest, CallResult, ContentType
from modelport.core.ports import Deployment
from modelport.errors import Busy

_STOPPED = CallError("the algorithm's workers were stopped", "SystemExit")
_GONE = CallError("the caller disconnected before the call started", "CallerGone")


class Dispatcher:
    """Queues calls for one build and hands each idle worker all it can take at once.

    A worker that is idle gets up to ``batch.max_size`` queued calls in one frame (shared
    fairly between idle workers); for ``apply_batch`` algorithms under concurrent load the
    dispatcher first waits up to ``batch.max_wait_ms`` for the batch to fill. Workers start
    lazily, up to ``replicas``.
    """

    def __init__(self, deployment: Deployment, spec: WorkerSpec) -> None:
        self.deployment, self.spec = deployment, spec
        self.manifest = deployment.manifest
        self.queue: deque[Pending] = deque()
        self.replicas: list[Replica] = []
        self._ids = itertools.count()
        self._fill: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._last_frame = 1  # calls in the frame sent last

    def waiting(self) -> int:
        """Calls not started yet: queued here or sent to a worker behind another call."""
        return len(self.queue) + sum(r.unstarted for r in self.replicas)

    @property
    def unused(self) -> bool:
        return not (self.queue or self.replicas or self._tasks)

    async def call(self, request: CallRequest) -> CallResult:
        if self._closed:
            return CallResult(ContentType.JSON, b"null", 0.0, _STOPPED)
        if self.waiting() >= self.manifest.queue:
            name = self.deployment.key.split("@", 1)[0]
            raise Busy(
                f"algorithm {name} is busy: {self.manifest.queue} calls are already waiting "
                "(its queue size); retry later",
                queue=self.manifest.queue,
            )
        loop = asyncio.get_running_loop()
        pending = Pending(next(self._ids), request, loop.create_future(), loop.time())
        # the timeout counts time queued behind other calls too (``_expire``)
        pending.expiry = loop.call_at(pending.due(0.0), self._expire, pending)
        pending.future.add_done_callback(_cancel_expiry(pending))
        self.queue.append(pending)
        self._schedule()
        if request.caller_gone is not None and self.queue and self.queue[-1] is pending:
            self._watch(pending, request.caller_gone)
        return await pending.future

    def _due(self, pending: Pending) -> float:
        """When ``pending`` times out if it has not started: ``inf`` while no worker has been
        ready yet (a worker's start does not count against a call's timeout)."""
        ready = [r.ready_at for r in self.replicas if r.state is not ReplicaState.STARTING]
        return pending.due(min(ready)) if ready else float("inf")

    def _expire(self, pending: Pending) -> None:
        """``pending``'s timeout has passed before it started: it fails now. One waiting in a
        worker's frame behind another call still runs there, unanswered; one running is the
        worker's deadline to enforce (``Replica._arm``)."""
        if pending.future.done() or any(r.running(pending) for r in self.replicas):
            return
        loop = asyncio.get_running_loop()
        due = self._due(pending)
        if loop.time() < due:  # a worker started meanwhile, or none is ready: look again
            when = due if due != float("inf") else loop.time() + pending.request.timeout
            pending.expiry = loop.call_at(when, self._expire, pending)
            return
        if pending in self.queue:
            self.queue.remove(pending)
        seconds = round(pending.request.timeout, 3)
        message = (
            f"call exceeded its {seconds} s timeout waiting for a worker (the algorithm's"
            " workers were busy with other calls); it did not start"
        )
        failed(pending, CallError(message, "TimeoutError"), 0.0)

    def _watch(self, pending: Pending, caller_gone: Callable[[], Awaitable[bool]]) -> None:
        """Drop ``pending`` from the queue if its caller leaves before a worker takes it."""

        async def watch() -> None:
            try:
                gone = await caller_gone()
            except Exception:  # the connection's own errors: nothing to decide on
                return
            if gone and pending in self.queue:
                self.queue.remove(pending)
                failed(pending, _GONE)

        watcher = asyncio.ensure_future(watch())
        pending.future.add_done_callback(lambda _: watcher.cancel())

    def _schedule(self) -> None:
        queue = self.queue
        while queue and queue[0].future.done():  # the caller gave up
            queue.popleft()
        if not queue or self._closed:
            return
        idle = [r for r in self.replicas if r.state is ReplicaState.IDLE]
        if idle:
            batch = self.manifest.batch
            # Waiting for a fuller batch only pays under concurrent load: a lone caller
            # (the last frame held one call) goes straight through.
            fill = idle[0].batchable and self._last_frame > 1 and batch.max_wait_ms > 0
            if fill and len(queue) < batch.max_size:
                loop = asyncio.get_running_loop()
                due = queue[0].queued_at + batch.max_wait_ms / 1000
                if loop.time() < due:  # wait a little for a fuller batch
                    if self._fill is None:
                        self._fill = loop.call_at(due, self._filled)
                    return
            for i, replica in enumerate(idle):
                share = min(batch.max_size, -(-len(queue) // (len(idle) - i)))
                calls = self._take(share)
                now = asyncio.get_running_loop().time()
                for late in [p for p in calls if now >= self._due(p)]:
                    self._expire(late)  # its timer has not fired yet: it must not start
                calls = [p for p in calls if not p.future.done()]
                if calls:
                    replica.send(calls)
                    self._last_frame = len(calls)
                if not queue:
                    return
        self._grow()

    def _take(self, count: int) -> list[Pending]:
        """Up to ``count`` calls from the head of the queue, in order, all with the head's
        token (one caller): a worker acts as one identity for a whole frame (its channel
        cannot tell when one call of a frame ends and the next begins). The others keep
        their places in the queue.
        """
        queue = self.queue
        head = queue.popleft()
        token, calls = head.request.token, [head]
        others: list[Pending] = []
        while queue and len(calls) < count:
            pending = queue.popleft()
            (calls if pending.request.token == token else others).append(pending)
        queue.extendleft(reversed(others))
        return calls

    def _filled(self) -> None:
        self._fill = None
        self._schedule()

    def _grow(self) -> None:
        """Start workers for waiting calls, one per call, up to ``replicas``."""
        starting = sum(r.state is ReplicaState.STARTING for r in self.replicas)
        while len(self.replicas) < self.manifest.replicas and starting < len(self.queue):
            replica = Replica(self.spec, self._idle, self._lost)
            self.replicas.append(replica)
            self._background(self._run(replica))
            starting += 1

    async def _run(self, replica: Replica) -> None:
        """One worker's life: start it, then reap its process whenever it ends."""
        try:
            await replica.start()
        except StartFailed as exc:
            self._forget(replica)
            if not self.replicas:
                # Fail what waits rather than start worker after worker for a broken build.
                while self.queue:
                    failed(self.queue.popleft(), exc.error)
        if replica.exited is not None:
            await replica.exited

    def _idle(self, replica: Replica) -> None:
        self._schedule()

    def _lost(self, replica: Replica, unstarted: list[Pending]) -> None:
        """A worker died, timed out or retired: calls it had not started go first in line."""
        self._forget(replica)
        self.queue.extendleft(reversed(unstarted))
        self._schedule()

    def _forget(self, replica: Replica) -> None:
        if replica in self.replicas:
            self.replicas.remove(replica)

    def reap_idle(self, now: float, ttl: float) -> None:
        """Shut down workers idle for longer than ``ttl`` seconds."""
        for replica in list(self.replicas):
            if replica.state is ReplicaState.IDLE and now - replica.idle_since > ttl:
                self._forget(replica)
                self._background(replica.stop(self.spec.stop_grace))

    async def close(self) -> None:
        """Fail waiting calls, stop every worker, and wait until all are reaped."""
        self._closed = True
        if self._fill is not None:
            self._fill.cancel()
        while self.queue:
            failed(self.queue.popleft(), _STOPPED)
        replicas, self.replicas = self.replicas, []
        await asyncio.gather(*(r.stop(self.spec.stop_grace) for r in replicas))
        while self._tasks:
            await asyncio.gather(*self._tasks)

    def counts(self) -> dict[ReplicaState, int]:
        out = dict.fromkeys((ReplicaState.STARTING, ReplicaState.IDLE, ReplicaState.BUSY), 0)
        for replica in self.replicas:
            out[replica.state] = out.get(replica.state, 0) + 1
        return out

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _cancel_expiry(pending: Pending) -> Callable[[asyncio.Future[CallResult]], None]:
    def cancel(_: asyncio.Future[CallResult]) -> None:
        if pending.expiry is not None:
            pending.expiry.cancel()

    return cancel
