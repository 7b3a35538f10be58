"""The services one gateway runs, bundled for the HTTP layer (built by ``modelport.app``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelport.core.limits import Budget
from modelport.core.metrics import Metrics
from modelport.core.ports import Runner, Store
from modelport.services.accounts import Accounts
from modelport.services.builds import Builds
from modelport.services.calls import Calls
from modelport.services.data import Data
from modelport.services.demos import Demos
from modelport.services.registry import Registry
from modelport.services.sessions import Sessions


@dataclass
class Platform:
    store: Store
    runner: Runner
    accounts: Accounts
    registry: Registry
    builds: Builds
    calls: Calls
    data: Data
    sessions: Sessions
    demos: Demos
    metrics: Metrics
    base_url: str
    max_body_bytes: int
    body_timeout: float = 30.0  # seconds a request body may stall between two chunks
    bodies: Budget = field(default_factory=lambda: Budget(2**30))  # read at once, in bytes
    # decodes any image input form (``modelport.vision.load_image``), for drawn results
    image_loader: Callable[[object], Any] | None = None

    def ready(self) -> bool:
        """True when the store answers."""
        self.store.account_by_name("-")
        return True

    async def aclose(self) -> None:
        await self.runner.close()
        await asyncio.to_thread(self.builds.close)
        self.store.close()
