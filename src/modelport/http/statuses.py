"""Error codes to HTTP statuses, in one table, and the JSON error body."""

from __future__ import annotations

import json
import uuid

from starlette.requests import Request
from starlette.responses import Response

from modelport.errors import ModelportError

STATUS_BY_CODE: dict[str, int] = {
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "algorithm_not_found": 404,
    "version_not_found": 404,
    "build_not_found": 404,
    "account_not_found": 404,
    "conflict": 409,
    "build_in_progress": 409,
    "invalid_input": 400,
    "invalid_name": 400,
    "invalid_version": 400,
    "invalid_manifest": 400,
    "invalid_json": 400,
    "sample_mismatch": 400,
    "build_failed": 400,
    "environment_failed": 400,
    "body_timeout": 408,
    "payload_too_large": 413,
    "quota_exceeded": 413,
    "unsupported_content_type": 415,
    "rate_limited": 429,
    "busy": 503,
    "storage_error": 503,
    "internal": 500,
}


def error_body(code: str, message: str, **details: object) -> bytes:
    body = {"error": {"code": code, "message": message, "id": str(uuid.uuid4()), **details}}
    return json.dumps(body, default=str).encode()


def retry_after(status: int, details: dict[str, object]) -> str | None:
    """The ``Retry-After`` header of a 503 (one second) or a 429 (as the error says)."""
    if status == 429:
        return str(details.get("retry_after", 1))
    return "1" if status == 503 else None


def error_response(status: int, code: str, message: str, **details: object) -> Response:
    wait = retry_after(status, details)
    headers = {"Retry-After": wait} if wait else None
    return Response(error_body(code, message, **details), status, headers, "application/json")


async def handle_modelport_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ModelportError)
    status = STATUS_BY_CODE.get(exc.code, 500)
    return error_response(status, exc.code, exc.message, **exc.details)
