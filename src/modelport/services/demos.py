"""Public demo pages: an algorithm its owner shares (``settings.demo``) may be tried by
anyone with the link, without an account.

Such calls act as the ``anonymous`` account with the ``algo:call`` scope only (so the
algorithm reads no one's data as the caller, and only public versions resolve), and each
client address gets ``per_minute`` calls after a burst of ``burst``.

That a demo is shared is cached for ``cache_ttl`` seconds, as the call path caches what a
version resolves to: a stream of demo calls costs no query, and turning a demo off takes
effect within ``cache_ttl``. What is not shared is not cached (turning a demo on is at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from modelport.core.caches import TtlCache
from modelport.core.limits import RateLimit
from modelport.core.model import Account, Algorithm
from modelport.core.versions import Callability
from modelport.errors import (
    AccountNotFound,
    AlgorithmNotFound,
    Conflict,
    RateLimited,
    Unauthorized,
)
from modelport.services.accounts import ANONYMOUS, Accounts
from modelport.services.builds import Builds
from modelport.services.principal import SIGN_IN, Principal
from modelport.services.registry import Registry


class Demos:
    def __init__(
        self,
        accounts: Accounts,
        registry: Registry,
        builds: Builds,
        *,
        per_minute: float = 30.0,
        burst: int = 10,
        cache_ttl: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` ages the rate limits and the cache of shared algorithms."""
        self._accounts, self._registry, self._builds = accounts, registry, builds
        self._limit = RateLimit(per_minute, burst, clock=clock)
        self._clock = clock
        self._shared = TtlCache[tuple[str, str], bool](cache_ttl)  # (owner, name) -> shared
        self._anonymous: Account | None = None

    def shared(self, owner: str, name: str) -> Algorithm:
        """The algorithm, if its owner shares a demo page (else 404: nothing is revealed)."""
        try:
            algorithm = self._registry.get(owner, name)
        except AlgorithmNotFound:
            algorithm = None
        if algorithm is None or algorithm.settings.get("demo") is not True:
            raise AlgorithmNotFound(f"algo://{owner}/{name} has no public demo page")
        return algorithm

    def caller(self, owner: str, name: str, client: str) -> Principal:
        """Who an unauthenticated call of ``owner/name`` from ``client`` acts as."""
        key, now = (owner, name), self._clock()
        if self._shared.get(key, now) is None:
            try:
                self.shared(owner, name)
            except AlgorithmNotFound:
                self._shared.pop(key)
                raise Unauthorized(SIGN_IN) from None
            self._shared.put(key, True, now)
        wait = self._limit.take(client)
        if wait > 0:
            raise RateLimited(
                f"too many demo calls from your address: try again in {wait:.0f} s",
                retry_after=max(1, round(wait)),
            )
        return Principal(self._account(), frozenset({"algo:call"}))

    def page(self, owner: str, name: str) -> dict[str, Any]:
        """What the demo page shows: the newest public version and how to call it."""
        algorithm = self.shared(owner, name)
        public = [
            v for v in self._registry.versions(algorithm) if v.callability == Callability.PUBLIC
        ]
        if not public:
            raise AlgorithmNotFound(f"algo://{owner}/{name} has no public version to try")
        version = public[0]
        manifest = self._builds.get(algorithm, version.commit_sha).manifest
        return {
            "owner": owner,
            "name": name,
            "summary": algorithm.details.get("summary", ""),
            "version": str(version.semver),
            "interface": {
                "input": manifest.get("input", "json"),
                "output": manifest.get("output", "json"),
            },
            "sample_input": version.sample_input,
        }

    def _account(self) -> Account:
        """The ``anonymous`` account (a reserved name: no user can take it), made on first use."""
        if self._anonymous is None:
            try:
                self._anonymous = self._accounts.account(ANONYMOUS)
            except AccountNotFound:
                try:
                    self._anonymous = self._accounts.create_account(ANONYMOUS)
                except Conflict:  # created meanwhile by another gateway
                    self._anonymous = self._accounts.account(ANONYMOUS)
        return self._anonymous
