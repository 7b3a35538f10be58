"""``/v1/data/…`` and ``/v1/connector/data/…``: the Algorithmia-compatible data API.

Files stream both ways: uploads are spooled to a staging file (never held in memory) and
stored atomically; downloads are read from the store in chunks. Every error also carries
``X-Error-Message``, because the official client reads it from bodiless HEAD answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, Request
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse

from modelport.core.data import ACL_READ, DataPath, acl_from_read
from modelport.core.ports import BlobInfo
from modelport.errors import InvalidInput, ModelportError, PayloadTooLarge
from modelport.http.auth import caller_on_loop
from modelport.http.bodies import read_json
from modelport.http.statuses import STATUS_BY_CODE
from modelport.services.data import Data, Listing
from modelport.services.platform import Platform
from modelport.services.principal import Principal

router = APIRouter(tags=["data"])
CHUNK = 4 << 20
METHODS = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]


def _error(exc: ModelportError, head: bool) -> Response:
    status = STATUS_BY_CODE.get(exc.code, 500)
    headers = {"X-Error-Message": exc.message.encode("ascii", "replace").decode()}
    body = b"" if head else json.dumps({"error": exc.to_dict()}, default=str).encode()
    return Response(body, status, headers, "application/json")


def _json(value: object, status: int = 200, data_type: str | None = None) -> Response:
    headers = {"X-Data-Type": data_type} if data_type else None
    return Response(json.dumps(value), status, headers, "application/json")


async def data(request: Request, path: str = "") -> Response:
    """Files and folders in collections: GET/HEAD read, PUT upload, POST mkdir, PATCH ACL,
    DELETE delete (``?force=true`` for folders with content)."""
    try:
        return await _handle(request, path)
    except ModelportError as exc:
        return _error(exc, request.method == "HEAD")


async def connector(request: Request, connector: str, path: str = "") -> Response:
    """The connector spelling of the data API; ``data`` is the only connector here."""
    try:
        if connector != "data":
            raise InvalidInput(f"the {connector!r} connector is not available; use data")
        return await _handle(request, path)
    except ModelportError as exc:
        return _error(exc, request.method == "HEAD")


for _method in METHODS:
    # one route per method: FastAPI gives a multi-method route one operation id for all
    _verb = _method.lower()
    router.add_api_route("/v1/data", data, methods=[_method], include_in_schema=False)
    router.add_api_route(
        "/v1/data/{path:path}", data, methods=[_method], operation_id=f"data_{_verb}"
    )
    router.add_api_route(
        "/v1/connector/{connector}/{path:path}",
        connector,
        methods=[_method],
        operation_id=f"connector_{_verb}",
    )


async def _handle(request: Request, path: str) -> Response:
    platform: Platform = request.app.state.platform
    caller = await caller_on_loop(request)
    data = platform.data
    if not path.strip("/"):
        if request.method != "GET":
            raise InvalidInput("the data root only lists; name an owner and a collection")
        return _json(_listing(await asyncio.to_thread(data.root, caller), False), 200, "directory")
    at = DataPath.parse(path, caller=caller.account.name)
    method = request.method
    if method in ("GET", "HEAD"):
        return await _read(request, data, caller, at)
    if method == "PUT":
        info = await _upload(request, data, caller, at)
        return _json({"result": at.uri, "size": info.size})
    if method == "POST":
        body = await read_json(request, platform.max_body_bytes)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise InvalidInput('POST a folder as {"name": "NAME", "acl": {"read": [...]}}')
        acl = _acl(body) if "acl" in body else None
        child = await asyncio.to_thread(data.create_folder, caller, at, body["name"], acl)
        return _json({"result": child.uri})
    if method == "PATCH":
        body = await read_json(request, platform.max_body_bytes)
        await asyncio.to_thread(data.set_acl, caller, at, _acl(body))
        return _json({})
    force = request.query_params.get("force", "").lower() == "true"
    deleted = await asyncio.to_thread(_delete, data, caller, at, force)
    return _json({"result": {"deleted": deleted}})


def _delete(data: Data, caller: Principal, at: DataPath, force: bool) -> int:
    try:
        return data.delete_file(caller, at)
    except ModelportError:
        if at.path and not data.exists_folder(caller, at):
            raise
    return data.delete_folder(caller, at, force=force)


def _acl(body: object) -> Any:
    acl = body.get("acl") if isinstance(body, dict) else None
    if not isinstance(acl, dict) or "read" not in acl:
        raise InvalidInput('send the ACL as {"acl": {"read": [...]}}')
    return acl_from_read(acl["read"])


async def _read(request: Request, data: Data, caller: Principal, at: DataPath) -> Response:
    head = request.method == "HEAD"
    if at.path:
        try:
            if head:
                return Response(
                    None, 200, _file_headers(await asyncio.to_thread(data.stat, caller, at))
                )
            # one lookup: the headers describe exactly the stream that is sent
            stream, info = await asyncio.to_thread(data.open, caller, at)
        except ModelportError:
            pass  # not a file: maybe a folder
        else:
            headers = _file_headers(info)
            return StreamingResponse(_chunks(stream), 200, headers, "application/octet-stream")
    marker = request.query_params.get("marker")
    listing = await asyncio.to_thread(data.listing, caller, at, marker)
    with_acl = request.query_params.get("acl", "").lower() == "true" and not at.path
    if head:
        return Response(None, 200, {"X-Data-Type": "directory"})
    return _json(_listing(listing, with_acl), 200, "directory")


def _listing(listing: Listing, with_acl: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if listing.folders:
        out["folders"] = [{"name": name} for name in listing.folders]
    if listing.files:
        out["files"] = [
            {"filename": f.key, "size": f.size, "last_modified": _modified(f)}
            for f in listing.files
        ]
    if listing.marker:
        out["marker"] = listing.marker
    if with_acl and listing.acl is not None:
        out["acl"] = {"read": ACL_READ[listing.acl]}
    return out


def _modified(info: BlobInfo) -> str:
    return info.modified.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _file_headers(info: BlobInfo) -> dict[str, str]:
    stamp = int(info.modified.timestamp() * 1_000_000)
    return {
        "Content-Length": str(info.size),
        "ETag": f'"{info.size:x}-{stamp:x}"',
        "Last-Modified": format_datetime(info.modified, usegmt=True),
        "X-Data-Type": "file",
    }


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    # a sync iterator: Starlette runs it in a thread, chunk by chunk
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk


async def _upload(request: Request, data: Data, caller: Principal, at: DataPath) -> BlobInfo:
    """Spool the body to a staging file (bounded memory), then store it atomically."""
    limit = data.max_file_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"file is over the {limit} byte limit")
    await asyncio.to_thread(data.check_upload, caller, at)  # refuse before spooling anything
    staging = await asyncio.to_thread(data.staging)
    fd, name = tempfile.mkstemp(dir=staging, prefix=".upload-", suffix=".tmp")
    spooled = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            size = 0
            async for chunk in _body(request):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"file is over the {limit} byte limit")
                out.write(chunk)
        return await asyncio.to_thread(data.put_file, caller, at, spooled)
    finally:
        with contextlib.suppress(FileNotFoundError):
            spooled.unlink()


async def _body(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except ClientDisconnect:
        raise InvalidInput("the client disconnected before the upload finished") from None
