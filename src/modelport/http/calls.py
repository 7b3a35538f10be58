"""``POST /v1/algo/{owner}/{name}[/{version}]``: the Algorithmia-compatible call route.

This is the hot path, served as plain ASGI in front of the web framework: no routing table,
no middleware, no request objects. The body is read once with a cap, and the result arrives
from the worker already JSON-encoded, to be spliced into the envelope as bytes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import uuid
from functools import partial
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from modelport.core.calls import PROOF_HEADER, CallResult, ContentType
from modelport.core.limits import Budget
from modelport.errors import InvalidInput, ModelportError
from modelport.http import overlays
from modelport.http.auth import CSRF_HEADER, SESSION_COOKIE, authenticate_on_loop, cookie
from modelport.http.bodies import TYPES, check_json, multipart_file, too_large, unsupported
from modelport.http.overlays import Loader
from modelport.http.statuses import STATUS_BY_CODE, error_body, retry_after
from modelport.services.platform import Platform
from modelport.services.principal import Principal

ROUTE = re.compile(r"^/v1/algo/([^/]+)/([^/]+)(?:/([^/]+))?/?$")
_background: set[asyncio.Task[CallResult]] = set()
_log = logging.getLogger("modelport.http")
Answer = tuple[int, bytes, bytes]  # status, media type, body


def _timeout(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"timeout must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise InvalidInput(f"timeout must be positive, got {raw!r}")
    return value


async def serve_call(
    platform: Platform, match: re.Match[str], scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer one call; every failure becomes a JSON error with its status."""
    details: dict[str, object] = {}
    try:
        status, media, body = await _call(platform, match, scope, receive)
    except ModelportError as exc:
        status, media, details = STATUS_BY_CODE.get(exc.code, 500), b"application/json", exc.details
        body = error_body(exc.code, exc.message, **exc.details)
    except Exception as exc:
        _log.exception("call failed")
        status, media = 500, b"application/json"
        body = error_body("internal", f"internal error: {type(exc).__name__}")
    headers = [(b"content-type", media), (b"content-length", str(len(body)).encode())]
    if wait := retry_after(status, details):
        headers.append((b"retry-after", wait.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


CREDENTIALS = (b"authorization", b"cookie", CSRF_HEADER.encode(), PROOF_HEADER.encode())


async def _caller(
    platform: Platform, credentials: dict[str, str], owner: str, name: str, scope: Scope
) -> Principal:
    """The key's or session's principal; with neither, a public demo page's visitor."""
    if "authorization" in credentials or cookie(credentials.get("cookie"), SESSION_COOKIE):
        return await authenticate_on_loop(platform, credentials, "POST")
    client = scope.get("client")
    return await asyncio.to_thread(platform.demos.caller, owner, name, client[0] if client else "-")


async def _call(platform: Platform, match: re.Match[str], scope: Scope, receive: Receive) -> Answer:
    media = declared = None
    raw_type = b""
    credentials: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name == b"content-type":
            raw_type = value
            media = value.split(b";", 1)[0].strip().lower().decode("latin-1")
        elif name == b"content-length":
            declared = value
        elif name in CREDENTIALS:
            credentials[name.decode()] = value.decode("latin-1")
    owner, name, version = match.groups()
    caller = await _caller(platform, credentials, owner, name, scope)
    caller.require("algo:call")
    query = (
        dict(parse_qsl(scope["query_string"].decode("latin-1"))) if scope["query_string"] else {}
    )
    output = query.get("output")
    if output not in (None, "raw", "void"):
        raise InvalidInput(f"output must be raw or void, got {output!r}")
    render = overlays.render_format(query["render"]) if "render" in query else None
    if render is not None and output is not None:
        raise InvalidInput("render cannot be combined with output=raw or output=void")
    content_type = TYPES.get(media or "") or _image(media)
    limit = platform.max_body_bytes
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    body = await _body(receive, limit, platform.bodies)
    if content_type == ContentType.JSON:
        check_json(body)
    elif media == "multipart/form-data":
        body = multipart_file(body, raw_type)
    void = output == "void"
    call = await platform.calls.start(  # a missing algorithm or version raises here
        caller, owner, name, version, content_type, body,
        timeout=_timeout(query.get("timeout")),
        stdout=query.get("stdout", "").lower() == "true",
        caller_gone=None if void else partial(_disconnected, receive),
    )  # fmt: skip
    if void:
        task = asyncio.create_task(call)
        _background.add(task)
        task.add_done_callback(_finished)
        return (
            200,
            b"application/json",
            _json({"async": "void", "request_id": f"req-{uuid.uuid4()}"}),
        )
    result = await call
    if result.error is None and output == "raw":
        return _raw(result)
    if render is not None and result.error is None:
        drawn = await _render(content_type, body, result, render, platform.image_loader)
        if drawn is not None:
            return 200, overlays.MEDIA[render], drawn
    return 200, b"application/json", envelope(result)


def _finished(task: asyncio.Task[CallResult]) -> None:
    """A detached call's end: nobody waits for it, so its failure is logged here."""
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        _log.error("detached call failed", exc_info=task.exception())


def _image(media: str | None) -> ContentType:
    if media and (media.startswith("image/") or media == "multipart/form-data"):
        return ContentType.BINARY  # images (and uploaded files) are bytes to the algorithm
    raise unsupported(media)


async def _render(
    content_type: ContentType, body: bytes, result: CallResult, fmt: str, loader: Loader | None
) -> bytes | None:
    """The input drawn with the result, or ``None`` when the result is nothing to draw."""
    if result.content_type != ContentType.JSON:
        return None
    found = json.loads(result.result_json)
    if not overlays.drawable(found):
        return None
    value: object = body
    if content_type == ContentType.JSON:
        value = json.loads(body)
    elif content_type == ContentType.TEXT:
        value = body.decode("utf-8", "replace")
    return await asyncio.to_thread(overlays.render, value, found, fmt, loader)


async def _disconnected(receive: Receive) -> bool:
    """Whether the client has gone: once the body is read, the next message is the
    disconnect (or the end of the response, after which nothing waits on this)."""
    message = await receive()
    return str(message["type"]) == "http.disconnect"


async def _body(receive: Receive, limit: int, budget: Budget) -> bytes:
    chunks: list[bytes] = []
    size = 0
    with budget.holding() as take:  # the bytes of every body being read, together
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise InvalidInput("the client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            take(len(chunk))
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def envelope(result: CallResult) -> bytes:
    """The v1 response body: ``{"result": …, "metadata": {…}}`` or ``{"error": …}``."""
    stdout = "" if result.stdout is None else f',"stdout":{json.dumps(result.stdout)}'
    if result.error is not None:
        error = {
            "message": result.error.message,
            "error_type": result.error.error_type,
            "stacktrace": result.error.stacktrace,
            "stack_trace": result.error.stacktrace,
        }
        return (
            b'{"error":'
            + json.dumps(error).encode()
            + f',"metadata":{{"duration":{result.duration!r}{stdout}}}}}'.encode()
        )
    meta = (
        f'{{"content_type":"{result.content_type.value}","duration":{result.duration!r}{stdout}}}'
    )
    return b'{"result":' + result.result_json + b',"metadata":' + meta.encode() + b"}"


def _raw(result: CallResult) -> Answer:
    if result.content_type == ContentType.TEXT:
        text: str = json.loads(result.result_json)
        return 200, b"text/plain; charset=utf-8", text.encode()
    if result.content_type == ContentType.BINARY:
        return 200, b"application/octet-stream", base64.b64decode(json.loads(result.result_json))
    return 200, b"application/json", result.result_json


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


_PARAMS = [
    {"name": "owner", "in": "path", "required": True, "schema": {"type": "string"}},
    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
    {
        "name": "timeout",
        "in": "query",
        "schema": {"type": "number", "default": 300},
        "description": "seconds, at most 3000",
    },
    {
        "name": "stdout",
        "in": "query",
        "schema": {"type": "boolean"},
        "description": "return what the call printed (owner only)",
    },
    {"name": "output", "in": "query", "schema": {"enum": ["raw", "void"]}},
    {
        "name": "render",
        "in": "query",
        "schema": {"enum": ["true", "jpeg", "png"]},
        "description": "answer the input image with the detections or top label drawn"
        " (image/jpeg, or image/png); JSON when the result is neither",
    },
]
_VERSION = {
    "name": "version",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "latest, latestPrivate, 1.2.3, 1.2.*, 1.* or a 40-hex build hash",
}
_OPERATION = {
    "tags": ["calls"],
    "summary": "Call an algorithm",
    "description": "The body is the input: JSON, text or bytes, by Content-Type (a"
    " multipart/form-data upload sends its file part's bytes). Answers"
    ' {"result", "metadata": {"content_type", "duration"}}, or {"error": {"message",'
    ' "error_type", "stacktrace"}} (HTTP 200) when the algorithm fails.',
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {}},
            "text/plain": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"image": {"type": "string", "format": "binary"}},
                }
            },
        },
    },
    "responses": {"200": {"description": "the result or the algorithm's error"}},
}
OPENAPI_PATHS = {
    "/v1/algo/{owner}/{name}": {"post": {**_OPERATION, "parameters": _PARAMS}},
    "/v1/algo/{owner}/{name}/{version}": {
        "post": {**_OPERATION, "parameters": [*_PARAMS, _VERSION]}
    },
}
