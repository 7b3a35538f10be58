"""``MemoryBlobs``: the ``Blobs`` port in a dictionary, with the same key rules, for tests."""

from __future__ import annotations

import threading

from modelport.adapters.blobs.keys import check_key
from modelport.errors import NotFound


class MemoryBlobs:
    """Bytes by key in memory; lost on exit.

    >>> blobs = MemoryBlobs(); blobs.put("a/b", b"x"); blobs.get("a/b")
    b'x'
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        check_key(key)
        with self._lock:
            self._data[key] = bytes(data)  # a bytearray passed in must not change the blob later

    def get(self, key: str) -> bytes:
        check_key(key)
        with self._lock:
            try:
                return self._data[key]
            except KeyError:
                raise NotFound(f"blob {key!r} not found") from None

    def exists(self, key: str) -> bool:
        check_key(key)
        with self._lock:
            return key in self._data

    def delete(self, key: str) -> None:
        """Delete the blob; deleting a missing one does nothing."""
        check_key(key)
        with self._lock:
            self._data.pop(key, None)
