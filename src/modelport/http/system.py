"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from modelport.errors import Forbidden
from modelport.http.auth import caller_of
from modelport.services.platform import Platform

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    """The metadata store answers."""
    platform: Platform = request.app.state.platform
    try:
        await asyncio.to_thread(platform.ready)
    except Exception as exc:
        return Response(
            f'{{"status": "unavailable", "reason": "{type(exc).__name__}"}}',
            503,
            media_type="application/json",
        )
    return Response('{"status": "ready"}', media_type="application/json")


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus metrics, for admin keys only: the series name every algorithm, private ones
    too (scrape with ``Authorization: Simple KEY``)."""
    if not caller_of(request).is_admin:
        raise Forbidden("metrics name every algorithm: they need an admin key")
    platform: Platform = request.app.state.platform
    return Response(platform.metrics.render(), media_type="text/plain; version=0.0.4")
