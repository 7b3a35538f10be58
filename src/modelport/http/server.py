"""Running the gateway under uvicorn."""

from __future__ import annotations

import uvicorn
from starlette.types import ASGIApp


def run(app: ASGIApp, host: str, port: int) -> None:
    """Serve until interrupted; uvloop and httptools when installed."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=10,
    )
