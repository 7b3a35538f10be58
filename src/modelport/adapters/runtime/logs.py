"""What workers print: one log file per build, capped, and bounded reads of a process's output.

Workers write to a pipe the gateway drains into the build's ``WorkerLog``; past its limit the
file becomes ``<name>.1`` (replacing the one before) and a new file starts, so a build that
prints without end takes at most twice the limit on disk, and a worker that prints faster
than the disk takes is slowed by the pipe rather than held in memory.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

CHUNK = 1 << 16


class WorkerLog:
    """``log.write(data)`` appends; ``log.tail()`` is the end of the current file."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path, self.limit = path, max(limit, CHUNK)
        self._size: int | None = None  # of the current file, once known

    def write(self, data: bytes) -> None:
        """Append ``data``; a disk that refuses it loses it, and never stops a worker."""
        try:
            if self._size is None:
                self._size = self.path.stat().st_size if self.path.exists() else 0
            if self._size + len(data) > self.limit:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                self._size, data = 0, data[-self.limit :]
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            self._size += len(data)
        except OSError:
            self._size = None  # moved or removed under us: look again next time

    def tail(self, limit: int = 4000) -> str:
        """The end of the log, for errors that happen before any call could run."""
        try:
            with open(self.path, "rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - limit))
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""


async def drain(stream: asyncio.StreamReader, log: WorkerLog) -> None:
    """Copy ``stream`` into ``log`` until every process holding its other end has exited."""
    while chunk := await stream.read(CHUNK):
        log.write(chunk)


async def read_tail(stream: asyncio.StreamReader, limit: int) -> bytes:
    """All of ``stream``, keeping its last ``limit`` bytes: output with no end costs nothing."""
    kept = bytearray()
    while chunk := await stream.read(CHUNK):
        kept += chunk
        if len(kept) > 2 * limit:
            del kept[:-limit]
    return bytes(kept[-limit:])
