"""``POST /v1/algo/{owner}/{name}[/{version}]``: the Algorithmia-compatible call route.

This is the hot path: no dependency injection, no model validation; the result arrives
already JSON-encoded from the worker and is spliced into the envelope as bytes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid

from starlette.requests import Request
from starlette.responses import Response

from modelport.core.calls import CallResult, ContentType
from modelport.errors import InvalidInput
from modelport.http.bodies import check_json, content_type_of, read_body
from modelport.services.platform import Platform

_background: set[asyncio.Task[CallResult]] = set()


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


async def call_algorithm(request: Request) -> Response:
    platform: Platform = request.app.state.platform
    caller = platform.accounts.authenticate(request.headers.get("authorization"))
    caller.require("algo:call")
    params = request.path_params
    query = request.query_params
    output = query.get("output")
    if output not in (None, "raw", "void"):
        raise InvalidInput(f"output must be raw or void, got {output!r}")
    content_type = content_type_of(request)
    body = await read_body(request, platform.max_body_bytes)
    if content_type == ContentType.JSON:
        check_json(body)
    call = platform.calls.call(
        caller,
        params["owner"],
        params["name"],
        params.get("version"),
        content_type,
        body,
        timeout=_timeout(query.get("timeout")),
        stdout=query.get("stdout", "").lower() == "true",
    )
    if output == "void":
        task = asyncio.create_task(call)
        _background.add(task)
        task.add_done_callback(_background.discard)
        return _json({"async": "void", "request_id": f"req-{uuid.uuid4()}"})
    result = await call
    if result.error is None and output == "raw":
        return _raw(result)
    return Response(envelope(result), media_type="application/json")


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


def _raw(result: CallResult) -> Response:
    if result.content_type == ContentType.TEXT:
        return Response(json.loads(result.result_json), media_type="text/plain; charset=utf-8")
    if result.content_type == ContentType.BINARY:
        data = base64.b64decode(json.loads(result.result_json))
        return Response(data, media_type="application/octet-stream")
    return Response(result.result_json, media_type="application/json")


def _json(value: object) -> Response:
    return Response(json.dumps(value), media_type="application/json")


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
    "description": "The body is the input: JSON, text or bytes, by Content-Type. Answers"
    ' {"result", "metadata": {"content_type", "duration"}}, or {"error": {"message",'
    ' "error_type", "stacktrace"}} (HTTP 200) when the algorithm fails.',
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {}},
            "text/plain": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
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
