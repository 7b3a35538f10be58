"""What the gateway remembers for ``cache_ttl`` seconds (resolved versions, keys, sessions,
members, shared demos) or for their own lifetime (the call tokens it mints): entries that
expire, on the caller's clock.

>>> cache = TtlCache[str, int](ttl=2.0, limit=2)
>>> cache.put("a", 1, now=0.0)
>>> cache.get("a", now=1.9), cache.get("a", now=2.0), cache.get("b", now=0.0)
(1, None, None)
>>> cache.put("b", 2, now=0.0); cache.put("c", 3, now=0.0); cache.put("d", 4, now=0.0)
>>> cache.get("a", now=0.0), cache.get("d", now=0.0)
(None, 4)

An entry may carry its own lifetime, and a caller that needs it to last a while yet asks
with a later ``now``:

>>> cache.put("token", 5, now=0.0, ttl=70.0)
>>> cache.get("token", now=0.0 + 60.0), cache.get("token", now=0.0 + 70.0)
(5, None)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """An entry lasts ``ttl`` seconds from the ``now`` it was put with. Past ``limit`` entries
    the cache starts over rather than sweeping stale ones: the bound on memory is what counts.
    Writers take a lock (services run in threads too); readers need none."""

    def __init__(self, ttl: float, limit: int = 10_000) -> None:
        self.ttl, self.limit = ttl, limit
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, now: float) -> V | None:
        hit = self._entries.get(key)
        return hit[1] if hit is not None and hit[0] > now else None

    def put(self, key: K, value: V, now: float, ttl: float | None = None) -> None:
        """Keep ``value`` until ``now + ttl`` (the cache's ``ttl`` unless given)."""
        with self._lock:
            if len(self._entries) > self.limit:
                self._entries = {}
            self._entries[key] = (now + (self.ttl if ttl is None else ttl), value)

    def pop(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def drop(self, unwanted: Callable[[K, V], bool]) -> None:
        """Forget every entry for which ``unwanted(key, value)`` is true."""
        with self._lock:
            self._entries = {k: e for k, e in self._entries.items() if not unwanted(k, e[1])}

    def clear(self) -> None:
        with self._lock:
            self._entries = {}
