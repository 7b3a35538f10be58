"""A non-2xx answer as the ``modelport.errors`` class the server named by its ``code``."""

from __future__ import annotations

import httpx

from modelport.errors import (
    Busy,
    Forbidden,
    ModelportError,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedContentType,
    from_code,
)

_BY_STATUS: dict[int, type[ModelportError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    413: PayloadTooLarge,
    415: UnsupportedContentType,
    503: Busy,
}


def platform_error(response: httpx.Response) -> ModelportError:
    """The ``modelport.errors`` class for a non-2xx answer, by its ``code`` or else its status."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        message = str(error["message"])
        code = error.get("code")
        if isinstance(code, str):
            return from_code(code, message)
        return _BY_STATUS.get(status, ModelportError)(message)
    if isinstance(error, str) and error:
        return _BY_STATUS.get(status, ModelportError)(error)
    text = " ".join(response.text.split())[:200] or response.reason_phrase
    return _BY_STATUS.get(status, ModelportError)(f"HTTP {status}: {text}")
