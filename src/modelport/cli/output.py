"""What the CLI prints: aligned tables, times, and progress lines for uploads and builds.

>>> print(table(["NAME", "STATUS"], [["digits", "succeeded"], ["x", "failed"]]))
NAME    STATUS
digits  succeeded
x       failed
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from modelport.client.archive import human_size


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-aligned columns separated by two spaces; ``None`` shows as ``-``."""
    cells = [[str(h) for h in headers], *[["-" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells)
    return "\n".join(line.rstrip() for line in lines)


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def when(value: object) -> str:
    """An ISO-8601 timestamp from the API, in local time to the second."""
    moment = parse_time(value)
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def seconds(value: float) -> str:
    """A duration for people.

    >>> seconds(4.25), seconds(63)
    ('4.2s', '1m03s')
    """
    if value < 60:
        return f"{value:.1f}s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes}m{rest:02d}s"


def duration(started: object, finished: object) -> str:
    start, end = parse_time(started), parse_time(finished)
    if start is None or end is None:
        return "-"
    return seconds(max((end - start).total_seconds(), 0.0))


def dig(data: object, *path: str) -> Any:
    """``dig(algo, "version_info", "semantic_version")``: nested lookup, ``None`` when absent."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


class Progress:
    """Upload and build progress on stderr: one rewritten line on a terminal, else a few lines."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.build_started: float | None = None
        self.last_status: str | None = None
        self.open_line = False

    def _write(self, text: str, *, final: bool) -> None:
        if self.tty:
            self.stream.write(f"\r\033[K{text}")
            self.open_line = not final
            if final:
                self.stream.write("\n")
        elif final:
            self.stream.write(text + "\n")
        self.stream.flush()

    def upload(self, sent: int, total: int) -> None:
        done = sent >= total
        percent = 100 if total == 0 else sent * 100 // total
        text = f"Uploading {self.label}  {human_size(sent)} / {human_size(total)}  {percent}%"
        if done:
            text = f"Uploaded {self.label} ({human_size(total)})"
        self._write(text, final=done)

    def build(self, build: dict[str, Any]) -> None:
        if self.build_started is None:
            self.build_started = time.monotonic()
        status = str(build.get("status", "?"))
        sha = str(build.get("commit_sha") or build.get("build_id") or "")[:12]
        elapsed = seconds(time.monotonic() - self.build_started)
        final = status != "in-progress"
        if not self.tty and not final and self.last_status is None:
            self.stream.write(f"Building {self.label} {sha}...\n")
        self.last_status = status
        self._write(f"Build {sha} {status} ({elapsed})", final=final)

    def close(self) -> None:
        """End a half-written line, e.g. when an error interrupts the progress."""
        if self.open_line:
            self.stream.write("\n")
            self.stream.flush()
            self.open_line = False
