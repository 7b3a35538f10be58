"""Calls: the hot path from an authenticated request to a worker's result.

Resolving ``owner/name/version`` to a deployment touches the store, so it is cached for
``cache_ttl`` seconds (and dropped on publish): a steady stream of calls costs no query.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from modelport.core.caches import TtlCache
from modelport.core.calls import CallRequest, CallResult, ContentType
from modelport.core.metrics import Metrics, RecentCalls
from modelport.core.model import Algorithm, Build, BuildStatus
from modelport.core.ports import Deployment, Runner
from modelport.core.versions import Bump, Callability
from modelport.errors import BuildNotFound, SampleMismatch
from modelport.services.builds import Builds
from modelport.services.principal import Principal
from modelport.services.registry import Registry, Resolved

CALLS = "modelport_calls_total"
DURATION = "modelport_call_duration_seconds"


@dataclass(frozen=True, slots=True)
class Target:
    resolved: Resolved
    deployment: Deployment


class Calls:
    def __init__(
        self,
        registry: Registry,
        builds: Builds,
        runner: Runner,
        metrics: Metrics,
        *,
        tokens: Callable[[Principal, str, float], str] | None = None,
        cache_ttl: float = 2.0,
        default_timeout: float = 300.0,
        max_timeout: float = 3000.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry, self._builds, self._runner, self._metrics = (
            registry,
            builds,
            runner,
            metrics,
        )
        self._default_timeout, self._max_timeout = default_timeout, max_timeout
        self._clock = clock
        self._tokens = tokens
        # call tokens, each kept for its own lifetime (put with ttl=)
        self._minted = TtlCache[tuple[str, str | None, str, frozenset[str]], str](cache_ttl)
        self._cache = TtlCache[tuple[str, str, str, str | None], Target](cache_ttl)
        self._recent = RecentCalls()

    async def call(
        self,
        caller: Principal,
        owner: str,
        name: str,
        version: str | None,
        content_type: ContentType,
        body: bytes,
        *,
        timeout: float | None = None,
        stdout: bool = False,
    ) -> CallResult:
        run = await self.start(
            caller, owner, name, version, content_type, body, timeout=timeout, stdout=stdout
        )
        return await run

    async def start(
        self,
        caller: Principal,
        owner: str,
        name: str,
        version: str | None,
        content_type: ContentType,
        body: bytes,
        *,
        timeout: float | None = None,
        stdout: bool = False,
        caller_gone: Callable[[], Awaitable[bool]] | None = None,
    ) -> Coroutine[Any, Any, CallResult]:
        """Resolve and authorise the call now (errors raise here); the returned coroutine runs
        it. ``output=void`` answers between the two. ``caller_gone``: see ``CallRequest``."""
        target = await self.target(caller, owner, name, version)
        manifest = target.deployment.manifest
        if timeout is None:
            timeout = self._default_timeout if manifest.timeout is None else manifest.timeout
        seconds = min(timeout, self._max_timeout)
        label = f"{owner}/{name}"
        request = CallRequest(
            content_type,
            body,
            seconds,
            stdout=stdout and caller.owns(owner),
            # the algorithm acts as its caller for data and nested calls, until the call ends
            token=self._token(caller, label, seconds),
            caller_gone=caller_gone,
        )
        return self._run(target, request, label)

    async def _run(self, target: Target, request: CallRequest, label: str) -> CallResult:
        result = await self._runner.call(target.deployment, request)
        # Counted just after: the caller's answer is written first, in this same step of the
        # event loop, so the bookkeeping is not part of any call's latency.
        asyncio.get_running_loop().call_soon(self._record, label, result)
        return result

    def _record(self, label: str, result: CallResult) -> None:
        self._metrics.count(
            CALLS,
            "Algorithm calls by outcome",
            algorithm=label,
            outcome="ok" if result.ok else "error",
        )
        self._metrics.observe(
            DURATION, "Time inside apply, seconds", result.duration, algorithm=label
        )
        self._recent.record(label, result.duration, result.ok, at=self._clock())

    def recent(self, owner: str, name: str) -> dict[str, float | int | None]:
        """Calls of ``owner/name`` in the last hour: count, errors, median seconds in apply."""
        return self._recent.summary(f"{owner}/{name}", now=self._clock())

    def _token(self, caller: Principal, label: str, seconds: float) -> str:
        """A key that acts as ``caller`` inside ``label`` for the call, reused while it lasts
        long enough: equal keys let the runner batch one caller's calls together."""
        if self._tokens is None:
            return ""
        key = (caller.account.id, caller.via, label, caller.scopes)  # a narrower key: its own
        now = self._clock()
        hit = self._minted.get(key, now + seconds + 5)  # one still valid when the call ends
        if hit is not None:
            return hit
        ttl = seconds + 60
        token = self._tokens(caller, label, ttl)
        self._minted.put(key, token, now, ttl=ttl)
        return token

    async def target(self, caller: Principal, owner: str, name: str, version: str | None) -> Target:
        """What ``owner/name/version`` resolves to for ``caller``: cached, dropped on publish."""
        key = (caller.account.id, owner, name, version)
        now = self._clock()
        hit = self._cache.get(key, now)
        if hit is not None:
            return hit
        target = await asyncio.to_thread(self._resolve, caller, owner, name, version)
        self._cache.put(key, target, now)
        return target

    def _resolve(self, caller: Principal, owner: str, name: str, version: str | None) -> Target:
        resolved = self._registry.resolve(caller, owner, name, version)
        return Target(resolved, self._builds.deployment(resolved.algorithm, resolved.build))

    def forget(self) -> None:
        """Drop cached resolutions (after a publish or delete)."""
        self._cache.clear()

    async def publish(
        self,
        caller: Principal,
        algorithm: Algorithm,
        bump: Bump,
        *,
        callability: Callability,
        release_notes: str = "",
        commit_sha: str | None = None,
    ) -> Any:
        """Publish a build as the next version, after checking its sample input and output."""
        build = await asyncio.to_thread(self._publishable, algorithm, commit_sha)
        manifest = build.manifest
        if manifest.get("has_sample"):
            await self._check_sample(caller, algorithm, build)
        version = await asyncio.to_thread(
            self._registry.add_version,
            algorithm,
            build,
            bump,
            callability=callability,
            release_notes=release_notes,
            sample_input=manifest.get("sample_input"),
            sample_output=manifest.get("sample_output"),
        )
        self.forget()
        return version

    def _publishable(self, algorithm: Algorithm, commit_sha: str | None) -> Build:
        if commit_sha:
            return self._builds.get(algorithm, commit_sha)
        for build in self._builds.recent(algorithm):
            if build.status == BuildStatus.SUCCEEDED:
                return build
        raise BuildNotFound(
            f"algo://{algorithm.owner}/{algorithm.name} has no successful build to publish"
        )

    async def _check_sample(self, caller: Principal, algorithm: Algorithm, build: Build) -> None:
        expected = build.manifest.get("sample_output")
        body = json.dumps(build.manifest.get("sample_input")).encode()
        result = await self.call(
            caller, algorithm.owner, algorithm.name, build.commit_sha, ContentType.JSON, body
        )
        if result.error is not None:
            raise SampleMismatch(
                f"the sample input raised {result.error.error_type}: {result.error.message}",
                expected=expected,
            )
        actual = json.loads(result.result_json)
        if actual != expected:
            raise SampleMismatch(
                f"the sample input gave {json.dumps(actual)}, but the sample output is"
                f" {json.dumps(expected)}; fix the code or update sample.output in modelport.yaml",
                expected=expected,
                actual=actual,
            )
