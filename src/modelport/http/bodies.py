"""Request bodies: content types the v1 API accepts, and reading with a size cap."""

from __future__ import annotations

import json

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from modelport.core.calls import ContentType
from modelport.errors import InvalidInput, InvalidJSON, PayloadTooLarge, UnsupportedContentType
from modelport.services.platform import Platform

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
        " application/octet-stream, image/* or multipart/form-data"
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing anything over ``limit`` bytes before reading it all, and
    counted against the bytes all bodies being read may hold (``Platform.bodies``)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    platform: Platform = request.app.state.platform
    with platform.bodies.holding() as take:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            take(len(chunk))
            chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> object:
    """The body as JSON; ``InvalidJSON`` (400) when it is not JSON, or is nested too deeply for
    the parser (Python's recursion limit), which would otherwise be a 500."""
    try:
        return json.loads(body)
    except RecursionError:
        raise InvalidJSON("request body is JSON nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidJSON(f"request body is not valid JSON: {exc}") from None


def check_json(body: bytes) -> None:
    parse_json(body)


async def read_json(request: Request, limit: int) -> object:
    """A JSON body for management routes; an empty body is ``{}``."""
    body = await read_body(request, limit)
    if not body.strip():
        return {}
    return parse_json(body)


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"request body is over the {limit // 2**20} MiB limit")


def multipart_file(body: bytes, content_type: bytes) -> bytes:
    """The bytes of the first file part of a ``multipart/form-data`` body (``image`` or
    ``file`` preferred); other fields are ignored. The body was read under the size cap."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise InvalidInput("multipart/form-data needs a boundary parameter")
    parts: list[tuple[bytes, bytes | None, list[bytes]]] = []  # disposition, name, chunks
    header: list[bytes] = [b"", b""]
    headers: dict[bytes, bytes] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header[1] += data[start:end]

    def on_header_end() -> None:
        headers[header[0].strip().lower()] = header[1].strip()
        header[0] = header[1] = b""

    def on_headers_finished() -> None:
        disposition, params = parse_options_header(headers.get(b"content-disposition", b""))
        filename = params.get(b"filename")
        parts.append((disposition, params.get(b"name") if filename is not None else None, []))
        headers.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1][2].append(data[start:end])

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidInput(f"malformed multipart/form-data body: {exc}") from None
    files = [(name, chunks) for _, name, chunks in parts if name is not None]
    if not files:
        raise InvalidInput(
            "multipart/form-data needs a file part (a field with a filename, e.g. image=@x.jpg)"
        )
    preferred = [chunks for name, chunks in files if name in (b"image", b"file")]
    return b"".join(preferred[0] if preferred else files[0][1])
