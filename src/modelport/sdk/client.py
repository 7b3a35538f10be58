"""Calling other algorithms as the caller: ``modelport.Client().algo(ref).pipe(input)``.

The same requests as the Algorithmia client (the v1 API), over urllib. By default the key is
``MODELPORT_API_KEY`` (inside a worker: the running call's token) and the address
``MODELPORT_API`` (the gateway's), read when each request is sent, so a client made in
``load()`` acts as whoever makes each later call.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

USER_AGENT = "modelport-guest"
HTTP_TIMEOUT = 3600.0  # seconds per socket operation when a call names no timeout
_REF = re.compile(r"\w+/.+")


class ApiError(Exception):
    """The platform refused a request: ``status`` (HTTP) and the server's ``message``."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AlgorithmError(ApiError):
    """The called algorithm failed; ``error_type`` is what it reported (``InputError``, ...)."""

    def __init__(
        self, message: str, error_type: str = "AlgorithmError", stacktrace: str = ""
    ) -> None:
        super().__init__(message, 200)
        self.error_type = error_type
        self.stacktrace = stacktrace


class Response:
    """What a call answered: ``result`` (JSON data, ``str`` or ``bytes``) and ``metadata``."""

    __slots__ = ("metadata", "result")

    def __init__(self, result: Any, metadata: dict[str, Any]) -> None:
        self.result = result
        self.metadata = metadata

    def __repr__(self) -> str:
        return f"Response(result={self.result!r}, metadata={self.metadata!r})"


def resolve_address(address: str | None = None) -> str:
    """The gateway's origin: the argument, else ``MODELPORT_API``, else ``ALGORITHMIA_API``."""
    found = address or os.environ.get("MODELPORT_API") or os.environ.get("ALGORITHMIA_API")
    if not found:
        raise ConnectionError("no modelport address: set MODELPORT_API (workers get it)")
    found = found.rstrip("/")
    if urllib.parse.urlsplit(found).scheme not in ("http", "https"):
        raise ValueError(f"the modelport address must be an http(s) URL, not {found!r}")
    return found


def resolve_key(key: str | None = None) -> str | None:
    """The key to send: the argument, else ``MODELPORT_API_KEY`` (a worker's call token)."""
    if key is not None:
        return key
    return os.environ.get("MODELPORT_API_KEY") or os.environ.get("ALGORITHMIA_API_KEY") or None


def send(
    method: str,
    url: str,
    key: str | None,
    body: bytes | None = None,
    content_type: str | None = None,
    timeout: float = HTTP_TIMEOUT,
) -> tuple[int, Any]:
    """``(status, response)`` for any HTTP answer; ``ConnectionError`` when there is none.

    The caller closes the response.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 (checked)
    request.add_header("User-Agent", USER_AGENT)
    if content_type is not None:
        request.add_header("Content-Type", content_type)
    if key:
        # Unredirected: a redirect never carries the caller's key anywhere else.
        request.add_unredirected_header("Authorization", "Bearer " + key)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (checked)
    except urllib.error.HTTPError as exc:
        return exc.code, exc  # an answer: the caller reads its status and message
    except urllib.error.URLError as exc:
        raise unreachable(url, exc.reason, timeout) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise unreachable(url, exc, timeout) from exc
    return int(response.status), response


def unreachable(url: str, reason: object, timeout: float) -> OSError:
    """``ConnectionError`` (or ``TimeoutError``) that names the address, never the key."""
    parts = urllib.parse.urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if isinstance(reason, socket.timeout):  # TimeoutError from 3.10 on, OSError before
        return TimeoutError(f"modelport at {origin} did not answer within {timeout:g} s")
    return ConnectionError(f"cannot reach modelport at {origin}: {reason}")


def read_body(response: Any, url: str, timeout: float) -> bytes:
    """The whole body of a response, which is then closed."""
    try:
        return bytes(response.read())
    except (OSError, http.client.HTTPException) as exc:
        raise unreachable(url, exc, timeout) from exc
    finally:
        response.close()


def error_message(status: int, headers: Any, body: bytes) -> str:
    """The server's reason: ``X-Error-Message``, else ``{"error": {"message"}}``, else text."""
    header = headers.get("X-Error-Message") if headers is not None else None
    if header:
        return str(header)
    try:
        error = json.loads(body)["error"]
        message = error.get("message") if isinstance(error, dict) else error
    except (ValueError, KeyError, TypeError, IndexError):
        message = None
    if message:
        return str(message)
    text = body.decode("utf-8", "replace").strip()
    return text[:200] if text else f"HTTP {status}"


def encode_input(data: object) -> tuple[str, bytes]:
    """bytes → octet-stream, str → text/plain, anything else → JSON (as the v1 API expects)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return "application/octet-stream", bytes(data)
    if isinstance(data, str):
        return "text/plain", data.encode("utf-8")
    try:
        return "application/json", json.dumps(data).encode("utf-8")
    except (TypeError, ValueError) as exc:
        kind = type(data).__name__
        raise TypeError(f"cannot send a {kind} as input: pass JSON data, str or bytes") from exc


def decode_envelope(payload: bytes) -> Response:
    """``{"result", "metadata"}`` → Response; ``{"error"}`` → AlgorithmError."""
    try:
        envelope = json.loads(payload)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        raise ApiError(f"unexpected answer from the server: {payload[:200]!r}", 200)
    if "error" in envelope:
        raise algorithm_error(envelope["error"])
    metadata = envelope.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    if "async" in envelope:  # output=void
        return Response(None, envelope)
    if "result" not in envelope:
        raise ApiError(f"unexpected answer from the server: {payload[:200]!r}", 200)
    result = envelope["result"]
    if metadata.get("content_type") == "binary" and isinstance(result, str):
        try:
            result = base64.b64decode(result)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(f"binary result is not valid base64: {exc}", 200) from exc
    return Response(result, metadata)


def algorithm_error(error: object) -> AlgorithmError:
    if not isinstance(error, dict):
        return AlgorithmError(str(error))
    trace = error.get("stacktrace") or error.get("stack_trace") or ""
    kind = error.get("error_type") or "AlgorithmError"
    return AlgorithmError(str(error.get("message", "")), str(kind), str(trace))


class Algo:
    """One algorithm, ``owner/name[/version]`` (``algo://`` or a leading ``/`` allowed)."""

    def __init__(self, client: Client, ref: str) -> None:
        path = ref[len("algo://") :] if ref.startswith("algo://") else ref
        path = path.lstrip("/")
        if not _REF.match(path):
            raise ValueError(f"not an algorithm reference: {ref!r} (expected owner/name)")
        self.client, self.ref = client, path

    def __repr__(self) -> str:
        return f"Algo({self.ref!r})"

    def pipe(self, input: object, timeout: float | None = None, stdout: bool = False) -> Response:
        """Call the algorithm (``timeout`` in seconds goes to the server as ``?timeout=``).

        Raises ``AlgorithmError`` when the algorithm fails, ``ApiError`` when the platform
        refuses the call, ``ConnectionError`` when the gateway cannot be reached.
        """
        content_type, body = encode_input(input)
        query: dict[str, str] = {}
        if timeout is not None:
            query["timeout"] = format(timeout, "g")
        if stdout:
            query["stdout"] = "true"
        url = f"{self.client.api_address}/v1/algo/{urllib.parse.quote(self.ref, safe='/*')}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        wait = HTTP_TIMEOUT if timeout is None else timeout + 30.0
        status, response = send("POST", url, self.client.api_key, body, content_type, wait)
        payload = read_body(response, url, wait)
        if not 200 <= status < 300:
            raise ApiError(error_message(status, response.headers, payload), status)
        return decode_envelope(payload)


class Client:
    """``Client().algo("owner/name/1.0.*").pipe(input).result``.

    ``api_key`` and ``api_address`` default to ``MODELPORT_API_KEY`` and ``MODELPORT_API``,
    read at each request (inside a worker: the running call's token and the gateway).
    """

    def __init__(self, api_key: str | None = None, api_address: str | None = None) -> None:
        self._api_key = api_key
        self._api_address = api_address

    @property
    def api_key(self) -> str | None:
        return resolve_key(self._api_key)

    @property
    def api_address(self) -> str:
        return resolve_address(self._api_address)

    def algo(self, ref: str) -> Algo:
        return Algo(self, ref)

    def __repr__(self) -> str:  # never the key
        return f"Client(api_address={self._api_address!r})"
