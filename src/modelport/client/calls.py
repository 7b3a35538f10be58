"""Calling an algorithm: encode the input, decode the answer.

>>> encode_input({"x": 1})
('application/json', b'{"x": 1}')
>>> encode_input("hi")
('text/plain; charset=utf-8', b'hi')
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import httpx

from modelport.core.names import AlgorithmRef
from modelport.errors import InvalidInput, ModelportError

if TYPE_CHECKING:
    from modelport.client.client import Client

Output = Literal["raw", "void"]
Render = Literal["jpeg", "png"]


class AlgorithmError(ModelportError):
    """The algorithm itself failed: an exception in user code, a crash or a timeout.

    ``error_type`` is what the algorithm reported (``InputError``, ``TimeoutError``, ...).
    """

    code = "algorithm_error"

    def __init__(
        self, message: str, error_type: str = "AlgorithmError", stacktrace: str = ""
    ) -> None:
        super().__init__(message, error_type=error_type, stacktrace=stacktrace)
        self.error_type = error_type
        self.stacktrace = stacktrace


@dataclass(frozen=True, slots=True)
class Response:
    """What a call answered: ``result`` is JSON data, ``str`` or ``bytes``."""

    result: Any
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def content_type(self) -> str | None:
        value = self.metadata.get("content_type")
        return str(value) if value is not None else None

    @property
    def duration(self) -> float | None:
        value = self.metadata.get("duration")
        return float(value) if isinstance(value, int | float) else None

    @property
    def stdout(self) -> str | None:
        value = self.metadata.get("stdout")
        return str(value) if value is not None else None


def encode_input(data: object) -> tuple[str, bytes]:
    """The content type and body for an input: bytes, text, or anything JSON."""
    if isinstance(data, bytes | bytearray | memoryview):
        return "application/octet-stream", bytes(data)
    if isinstance(data, str):
        return "text/plain; charset=utf-8", data.encode("utf-8")
    try:
        return "application/json", json.dumps(data).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"cannot send a {type(data).__name__} as input: pass JSON data, str or bytes ({exc})"
        ) from None


def decode_envelope(body: object) -> Response:
    """Turn ``{"result", "metadata"}`` into a Response; raise AlgorithmError on ``{"error"}``."""
    if not isinstance(body, dict):
        raise ModelportError(f"unexpected answer from the server: {str(body)[:200]}")
    metadata = body.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    if "error" in body:
        raise algorithm_error(body["error"])
    if "async" in body:  # output=void
        return Response(None, dict(body))
    if "result" not in body:
        raise ModelportError(f"unexpected answer from the server: {json.dumps(body)[:200]}")
    result = body["result"]
    if metadata.get("content_type") == "binary" and isinstance(result, str):
        try:
            result = base64.b64decode(result)
        except binascii.Error as exc:
            raise ModelportError(f"binary result is not valid base64: {exc}") from None
    return Response(result, metadata)


def algorithm_error(error: object) -> AlgorithmError:
    if not isinstance(error, dict):
        return AlgorithmError(str(error))
    trace = error.get("stacktrace") or error.get("stack_trace") or ""
    return AlgorithmError(
        str(error.get("message", "")),
        str(error.get("error_type") or "AlgorithmError"),
        str(trace),
    )


def decode_raw(response: httpx.Response) -> Response:
    """``output=raw``: the bare result, typed by the answer's content type."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        return Response(response.json(), {"content_type": "json"})
    if kind.startswith("text/"):
        return Response(response.text, {"content_type": "text"})
    return Response(response.content, {"content_type": "binary"})


class Algo:
    """One algorithm reference, ready to call.

    >>> algo = Client().algo("alice/digits/0.1.*")          # doctest: +SKIP
    >>> algo.pipe({"x": 1}).result                          # doctest: +SKIP
    {'y': 2}
    """

    def __init__(self, client: Client, ref: AlgorithmRef) -> None:
        self.client = client
        self.ref = ref

    def __repr__(self) -> str:
        return f"Algo({str(self.ref)!r})"

    def pipe(
        self,
        input: object,
        *,
        timeout: float | None = None,
        stdout: bool = False,
        output: Output | None = None,
        render: bool | Render = False,
    ) -> Response:
        """Call the algorithm; raises AlgorithmError when the algorithm fails.

        ``render=True`` (or ``"jpeg"``, ``"png"``) asks for the input image with the
        detections or top label drawn: ``result`` is then the image's bytes and
        ``content_type`` its media type (``image/jpeg``). A result with nothing to draw
        comes back as usual.
        """
        content_type, body = encode_input(input)
        params: dict[str, str] = {}
        if timeout is not None:
            params["timeout"] = f"{timeout:g}"
        if stdout:
            params["stdout"] = "true"
        if output is not None:
            params["output"] = output
        if render:
            params["render"] = "true" if render is True else render
        http_timeout = max(self.client.timeout, timeout + 30) if timeout else None
        response = self.client.request(
            "POST",
            f"/v1/algo/{self.ref.path}",
            content=body,
            headers={"Content-Type": content_type},
            params=params,
            timeout=http_timeout,
        )
        if output == "raw":
            return decode_raw(response)
        kind = response.headers.get("content-type", "")
        if render and kind.startswith("image/"):
            return Response(response.content, {"content_type": kind.split(";")[0].strip()})
        try:
            envelope = response.json()
        except ValueError:
            raise ModelportError(
                f"unexpected answer from the server: {response.text[:200]}"
            ) from None
        return decode_envelope(envelope)
