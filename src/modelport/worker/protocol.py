"""The worker protocol: the frames between the gateway and a worker, defined once for both.

Standard library only and Python 3.8+: the worker imports it in the build's environment, the
gateway as ``modelport.worker.protocol``.

A frame is ``!BII`` (kind, header length, payload length), a compact JSON header, then a raw
payload, so call inputs and encoded results cross the socket without being re-encoded:

| kind | from | header | payload |
| --- | --- | --- | --- |
| ``READY`` | worker | ``{"pid", "batchable", "error"}`` (a :class:`Ready`) | none |
| ``CALLS`` | gateway | ``{"calls": [CallRow, ...]}`` | the inputs, concatenated |
| ``RESULTS`` | worker | ``{"results": [ResultRow, ...]}`` | the encoded results, concatenated |
| ``SHUTDOWN`` | gateway | ``{}`` | none |
| ``BYE`` | worker | ``{"reason"}``: retiring; calls not answered never started | none |

Rows travel as JSON arrays in the order of their fields. Results come back in the order the
calls were sent, one ``RESULTS`` frame per call, or one for a frame run as ``apply_batch``.
"""

from __future__ import annotations

import json
import struct
from enum import IntEnum
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

if TYPE_CHECKING:  # the worker also runs on Pythons older than the gateway's
    from collections.abc import Iterator, Sequence

PREFIX = struct.Struct("!BII")
_HEADER = json.JSONEncoder(separators=(",", ":"))  # one encoder for every frame's header


class Kind(IntEnum):
    READY = 1
    CALLS = 2
    RESULTS = 3
    SHUTDOWN = 4
    BYE = 5


class Failure(NamedTuple):
    """Why a call failed, as the Algorithmia ADK reports it; stack traces start in user code."""

    message: str
    error_type: str
    stacktrace: str

    @property
    def out_of_memory(self) -> bool:
        """The worker ran out of memory: it retires after answering (its heap may be broken)."""
        return self.error_type == "OutOfMemoryError"


OUT_OF_MEMORY = Failure("out of memory", "OutOfMemoryError", "")


class Ready(NamedTuple):
    """The worker imported and loaded the build (``error``: either failed; calls get it)."""

    pid: int
    batchable: bool
    error: Failure | None


class CallRow(NamedTuple):
    """One call of a ``CALLS`` frame; its input is the next ``size`` bytes of the payload.

    No credential travels with a call: the worker's channel acts as its caller
    (``adapters/runtime/channel.py``), and one frame holds one caller's calls.
    """

    id: int
    content_type: str  # "json", "text" or "binary"
    capture: bool  # answer with what the call printed
    size: int


class ResultRow(NamedTuple):
    """One answer of a ``RESULTS`` frame; its result, encoded as a JSON value, is the next
    ``size`` bytes of the payload."""

    id: int
    content_type: str
    size: int
    duration: float  # seconds inside the user's code
    stdout: str | None  # None unless the call asked for it
    error: Failure | None


class Frame(NamedTuple):
    kind: Kind
    header: Any
    payload: bytes


def runs_as_batch(batchable: bool, count: int) -> bool:
    """Whether a worker runs a frame of ``count`` calls through ``apply_batch`` in one go."""
    return batchable and count > 1


def buffers(kind: Kind, header: object, parts: Sequence[bytes] = ()) -> list[bytes]:
    """One frame as buffers to write in order: prefix and header, then the parts, uncopied."""
    head = _HEADER.encode(header).encode()
    size = sum(len(p) for p in parts)
    return [PREFIX.pack(kind, len(head), size) + head, *parts]


def pack(kind: Kind, header: object, parts: Sequence[bytes] = ()) -> bytes:
    """One frame as bytes: ``pack(Kind.SHUTDOWN, {})``."""
    return b"".join(buffers(kind, header, parts))


def ready(pid: int, batchable: bool, error: Failure | None) -> bytes:
    return pack(Kind.READY, Ready(pid, batchable, error)._asdict())


def calls(rows: Sequence[CallRow], bodies: Sequence[bytes]) -> list[bytes]:
    """A ``CALLS`` frame as buffers; the bodies go out as they are, not copied into one."""
    return buffers(Kind.CALLS, {"calls": rows}, bodies)


def results(rows: Sequence[ResultRow], bodies: Sequence[bytes]) -> bytes:
    return pack(Kind.RESULTS, {"results": rows}, bodies)


def read_ready(header: Any) -> Ready:
    error = header["error"]
    return Ready(header["pid"], bool(header["batchable"]), Failure(*error) if error else None)


def read_calls(frame: Frame) -> Iterator[tuple[CallRow, bytes]]:
    """The calls of a ``CALLS`` frame, each with its input."""
    rows = frame.header["calls"]
    if len(rows) == 1:
        yield CallRow(*rows[0]), frame.payload
        return
    offset = 0
    for fields in rows:
        row = CallRow(*fields)
        yield row, frame.payload[offset : offset + row.size]
        offset += row.size


def read_results(frame: Frame) -> Iterator[tuple[ResultRow, bytes]]:
    """The answers of a ``RESULTS`` frame, each with its encoded result."""
    rows = frame.header["results"]
    offset = 0
    for call_id, content_type, size, duration, stdout, error in rows:
        failure = Failure(*error) if error else None
        row = ResultRow(call_id, content_type, size, duration, stdout, failure)
        yield row, frame.payload if len(rows) == 1 else frame.payload[offset : offset + row.size]
        offset += row.size


def read_frame(stream: BinaryIO) -> Frame | None:
    """The next frame from a blocking stream; ``None`` at its end or a truncated frame."""
    prefix = stream.read(PREFIX.size)
    if len(prefix) < PREFIX.size:
        return None
    kind, head_size, size = PREFIX.unpack(prefix)
    head, payload = stream.read(head_size), stream.read(size)
    if len(head) < head_size or len(payload) < size:
        return None
    return Frame(Kind(kind), json.loads(head), payload)


class FrameTooLarge(ValueError):
    """A frame's prefix declares more bytes than its reader accepts."""


def split_frames(buffer: bytearray, limit: int) -> Iterator[Frame]:
    """Cut the complete frames off the front of ``buffer`` as they are consumed; a partial
    frame stays for the next bytes. ``FrameTooLarge`` as soon as a prefix declares more than
    ``limit`` bytes, before they are read: a worker cannot make the gateway buffer them."""
    while len(buffer) >= PREFIX.size:
        kind, head, size = PREFIX.unpack_from(buffer)
        if head + size > limit:
            raise FrameTooLarge(f"the worker sent a frame of {head + size} bytes (limit {limit})")
        end = PREFIX.size + head + size
        if len(buffer) < end:
            return
        header = json.loads(buffer[PREFIX.size : PREFIX.size + head])
        payload = bytes(buffer[PREFIX.size + head : end])
        del buffer[:end]
        yield Frame(Kind(kind), header, payload)
