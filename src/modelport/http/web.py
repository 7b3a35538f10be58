"""The web UI: one page (``web/index.html``) for every ``/ui/…`` and ``/demo/…`` address,
its static files under ``/ui/static/``, and ``/v1/demos/…``, what a demo page shows before
anyone signs in. The page itself calls the public API like any client."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from functools import cache
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from modelport.errors import NotFound
from modelport.services.platform import Platform

router = APIRouter(include_in_schema=False)
demos = APIRouter(prefix="/v1", tags=["demos"])

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self';"
        " frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@cache
def _asset(name: str) -> tuple[bytes, bytes, str, str]:
    """A file of the ``modelport.web`` package: its bytes, gzipped, media type and ETag."""
    folder = resources.files("modelport") / "web"
    if "/" in name or "\\" in name or name.startswith(".") or not name:
        raise NotFound(f"no file {name!r} in the web UI")
    entry = folder.joinpath(name)
    if not entry.is_file():
        raise NotFound(f"no file {name!r} in the web UI")
    data = entry.read_bytes()
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    media = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    packed = gzip.compress(data, mtime=0)
    return data, packed, media, '"' + hashlib.sha256(data).hexdigest()[:20] + '"'


def _send(request: Request, name: str) -> Response:
    data, packed, media, etag = _asset(name)
    headers = SECURITY_HEADERS | {
        "ETag": etag,
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "") and len(packed) < len(data):
        headers["Content-Encoding"] = "gzip"
        data = packed
    return Response(data, media_type=media, headers=headers)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui/static/{name}")
def static(name: str, request: Request) -> Response:
    return _send(request, name)


@router.get("/ui")
@router.get("/ui/{path:path}")
@router.get("/demo/{owner}/{name}")
def page(request: Request) -> Response:
    return _send(request, "index.html")


@demos.get("/demos/{owner}/{name}")
def demo(owner: str, name: str, request: Request) -> dict[str, Any]:
    """A shared algorithm's demo page data; needs no credentials."""
    platform: Platform = request.app.state.platform
    return platform.demos.page(owner, name)
