"""Limits: a token bucket per client (pure bookkeeping on an injected clock), and a budget of
bytes held at once across requests.

>>> now = [0.0]
>>> limit = RateLimit(per_minute=2, burst=2, clock=lambda: now[0])
>>> limit.take("a"), limit.take("a"), limit.take("a")
(0.0, 0.0, 30.0)
>>> limit.wait("a"), limit.wait("b")
(30.0, 0.0)
>>> now[0] = 30.0
>>> limit.take("a")
0.0
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from modelport.errors import Busy


class RateLimit:
    """``burst`` requests at once, refilled at ``per_minute``; ``take`` answers how many
    seconds the caller must wait (0 when the request may go ahead)."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self._rate, self._burst = per_minute / 60.0, float(burst)
        self._clock, self._max = clock, max_clients
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)

    def take(self, client: str) -> float:
        now = self._clock()
        with self._lock:
            tokens = self._tokens(client, now)
            if tokens >= 1.0:
                if len(self._buckets) >= self._max:
                    self._buckets.clear()  # bounded memory: forget everyone, start over
                self._buckets[client] = (tokens - 1.0, now)
                return 0.0
            self._buckets[client] = (tokens, now)
        return self._wait_for(tokens)

    def wait(self, client: str) -> float:
        """The wait ``take`` would answer now, without spending anything."""
        with self._lock:
            tokens = self._tokens(client, self._clock())
        return 0.0 if tokens >= 1.0 else self._wait_for(tokens)

    def _tokens(self, client: str, now: float) -> float:
        """The client's tokens at ``now``: what was left, refilled since (call under the lock)."""
        tokens, at = self._buckets.get(client, (self._burst, now))
        return min(self._burst, tokens + (now - at) * self._rate)

    def _wait_for(self, tokens: float) -> float:
        return (1.0 - tokens) / self._rate if self._rate else float("inf")


class Budget:
    """``with budget.holding() as take: take(len(chunk))`` for each chunk of one body; what
    it took is given back when the block ends. ``take`` raises ``Busy`` (503, retry) when
    the bytes held by every body being read would pass ``limit``, so many slow, large uploads
    together cannot hold the server's memory."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    @contextmanager
    def holding(self) -> Iterator[Callable[[int], None]]:
        held = 0

        def take(size: int) -> None:
            nonlocal held
            if self.used + size > self.limit:
                raise Busy(
                    f"the server is reading {self.limit // 2**20} MiB of request bodies at"
                    " once, its limit (MODELPORT_MAX_BUFFERED_BYTES): retry shortly"
                )
            self.used += size
            held += size

        try:
            yield take
        finally:
            self.used -= held
