"""What a call carries to a worker and what comes back, independent of HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

# Set by workers' channels on what they pass to the gateway (adapters/runtime/channel.py);
# call tokens are accepted beside it only (services/tokens.py)
PROOF_HEADER = "x-modelport-channel"


class ContentType(StrEnum):
    """The kind of an input or a result, as the v1 API names it."""

    JSON = "json"
    TEXT = "text"
    BINARY = "binary"
    VOID = "void"


@dataclass(frozen=True, slots=True)
class CallRequest:
    """One call's input. ``body`` is JSON text for JSON, UTF-8 for text, raw bytes for binary."""

    content_type: ContentType
    body: bytes
    timeout: float
    stdout: bool = False
    # a short-lived key acting as the caller, for data and nested calls; never printed
    token: str = field(default="", repr=False)
    # finishes when the caller may have stopped waiting, True if it has (its connection
    # closed): a call still queued then is dropped instead of run for nobody
    caller_gone: Callable[[], Awaitable[bool]] | None = field(
        default=None, repr=False, compare=False
    )


@dataclass(frozen=True, slots=True)
class CallError:
    message: str
    error_type: str = "AlgorithmError"
    stacktrace: str = ""


@dataclass(frozen=True, slots=True)
class CallResult:
    """A call's outcome.

    On success ``result_json`` is the result already encoded as a JSON value (a JSON string
    for text, a base64 JSON string for binary) so the gateway can wrap it without decoding.
    """

    content_type: ContentType
    result_json: bytes
    duration: float
    error: CallError | None = None
    stdout: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
