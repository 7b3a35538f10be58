"""The ASGI application: routes, error mapping, and the platform's lifetime."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelport.errors import BodyTimeout, ModelportError
from modelport.http import accounts, algorithms, data, sessions, system, v2, web
from modelport.http.calls import OPENAPI_PATHS, ROUTE, serve_call
from modelport.http.statuses import error_response, handle_modelport_error
from modelport.services.platform import Platform


def _report(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logging.getLogger("modelport").error("startup task failed", exc_info=task.exception())


class Gateway:
    """The front door: calls go straight to ``serve_call``; the rest to the web framework.

    ``//v1/...`` (from an ``api_address`` with a trailing slash) routes as ``/v1/...``.
    """

    def __init__(self, app: ASGIApp, platform: Platform) -> None:
        self.app, self.platform = app, platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith("//"):
                path = "/" + path.lstrip("/")
                scope = dict(scope, path=path)
            receive = stalls_fail(receive, self.platform.body_timeout)
            if scope["method"] == "POST" and (match := ROUTE.match(path)):
                await serve_call(self.platform, match, scope, receive, send)
                return
        await self.app(scope, receive, send)


def stalls_fail(receive: Receive, seconds: float) -> Receive:
    """``receive``, raising ``BodyTimeout`` (408) when the request body stalls for ``seconds``
    between two chunks, so slow or stalled uploads cannot hold the server's memory and
    connections. Once the body is in, it waits as long as it must (calls wait on it for the
    client's disconnect)."""
    done = False

    async def timed() -> Message:
        nonlocal done
        if done:
            return await receive()
        try:
            async with asyncio.timeout(seconds):
                message = await receive()
        except TimeoutError:
            done = True
            raise BodyTimeout(
                f"the request body stalled: nothing arrived for {seconds:g} s"
            ) from None
        done = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return timed


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
    """The call route is plain ASGI (the hot path); describe it in /docs too."""
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
    _document(app)
    app.include_router(algorithms.router)
    app.include_router(accounts.router)
    app.include_router(data.router)
    app.include_router(system.router)
    app.include_router(v2.router)
    app.include_router(sessions.router)
    app.include_router(web.demos)
    app.include_router(web.router)
    app.add_exception_handler(ModelportError, handle_modelport_error)
    app.add_exception_handler(404, _not_found)
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(RequestValidationError, _bad_request)
    return Gateway(app, platform)
