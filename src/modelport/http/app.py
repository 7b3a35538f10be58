"""The ASGI application: routes, error mapping, and the platform's lifetime."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from modelport.errors import ModelportError
from modelport.http import accounts, algorithms, data, system
from modelport.http.calls import OPENAPI_PATHS, call_algorithm
from modelport.http.statuses import error_response, handle_modelport_error
from modelport.services.platform import Platform


def _report(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logging.getLogger("modelport").error("startup task failed", exc_info=task.exception())


class CollapseSlashes:
    """Routes ``//v1/...`` (from an ``api_address`` with a trailing slash) as ``/v1/...``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("//"):
            scope = dict(scope, path="/" + scope["path"].lstrip("/"))
        await self.app(scope, receive, send)


async def _unexpected(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal", f"internal error: {type(exc).__name__}")


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(404, "not_found", f"no route {request.method} {request.url.path}")


async def _bad_request(request: Request, exc: Exception) -> Response:
    errors: object = getattr(exc, "errors", list)()
    return error_response(
        400, "invalid_input", "invalid request: " + json.dumps(errors, default=str)
    )


def _document(app: FastAPI) -> None:
    """The call routes are plain Starlette routes (the hot path); describe them in /docs."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            generate()["paths"].update(OPENAPI_PATHS)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def build_app(
    platform: Platform, *, on_start: Callable[[], Coroutine[Any, Any, None]] | None = None
) -> ASGIApp:
    """The gateway for a ``Platform``; ``on_start`` runs as a background task once serving."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(on_start()) if on_start else None
        if task is not None:
            task.add_done_callback(_report)
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
            await platform.aclose()

    app = FastAPI(
        title="modelport",
        summary="Versioned, secure, fast HTTP APIs for computer-vision models.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    for suffix in ("", "/{version}"):
        app.router.routes.append(
            Route("/v1/algo/{owner}/{name}" + suffix, call_algorithm, methods=["POST"])
        )
    _document(app)
    app.include_router(algorithms.router)
    app.include_router(accounts.router)
    app.include_router(data.router)
    app.include_router(system.router)
    app.add_exception_handler(ModelportError, handle_modelport_error)
    app.add_exception_handler(404, _not_found)
    app.add_exception_handler(Exception, _unexpected)
    from fastapi.exceptions import RequestValidationError

    app.add_exception_handler(RequestValidationError, _bad_request)
    return CollapseSlashes(app)
