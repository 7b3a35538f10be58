"""Request bodies: content types the v1 API accepts, and reading with a size cap."""

from __future__ import annotations

import json

from starlette.requests import Request

from modelport.core.calls import ContentType
from modelport.errors import InvalidJSON, PayloadTooLarge, UnsupportedContentType

TYPES = {
    "application/json": ContentType.JSON,
    "text/plain": ContentType.TEXT,
    "application/text": ContentType.TEXT,
    "application/octet-stream": ContentType.BINARY,
}


def content_type_of(request: Request) -> ContentType:
    raw = request.headers.get("content-type", "")
    media = raw.split(";", 1)[0].strip().lower()
    found = TYPES.get(media)
    if found is None:
        raise unsupported(media)
    return found


def unsupported(media: str | None) -> UnsupportedContentType:
    return UnsupportedContentType(
        f"unsupported content type {media or 'none'!r}: send application/json, text/plain,"
        " application/octet-stream or image/*"
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing anything over ``limit`` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def check_json(body: bytes) -> None:
    try:
        json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidJSON(f"request body is not valid JSON: {exc}") from None


async def read_json(request: Request, limit: int) -> object:
    """A JSON body for management routes; an empty body is ``{}``."""
    body = await read_body(request, limit)
    if not body.strip():
        return {}
    check_json(body)
    return json.loads(body)


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"request body is over the {limit // 2**20} MiB limit")
