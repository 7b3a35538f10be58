"""``Client``: the HTTP API as small Python methods (httpx only).

>>> with Client("my-key", "http://127.0.0.1:8080") as client:     # doctest: +SKIP
...     build = client.deploy(Path("digits"))
...     client.algo(f"admin/digits/{build['commit_sha']}").pipe({"x": 1}).result
{'y': 2}
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from modelport.client.accounts import AccountsMixin
from modelport.client.calls import Algo
from modelport.client.credentials import Credentials
from modelport.client.data import DataMixin
from modelport.client.deploy import deploy
from modelport.client.failures import platform_error
from modelport.core.names import AlgorithmRef
from modelport.core.versions import parse_bump
from modelport.errors import (
    BuildInProgress,
    ModelportError,
)

JSON = dict[str, Any]
Progress = Callable[[int, int], None]
OnStatus = Callable[[JSON], None]

_CHUNK = 64 * 1024


class Client(AccountsMixin, DataMixin):
    """A modelport server, reached with one API key (see ``modelport.client`` for an example)."""

    def __init__(
        self,
        api_key: str | None = None,
        api_address: str | None = None,
        *,
        timeout: float = 330.0,
        home: Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.credentials = Credentials.resolve(api_key, api_address, home=home)
        self.timeout = timeout
        headers = {"User-Agent": "modelport-client"}
        if self.credentials.api_key:
            headers["Authorization"] = f"Simple {self.credentials.api_key}"
        self._http = httpx.Client(
            base_url=self.api_address, headers=headers, timeout=timeout, transport=transport
        )

    @property
    def api_address(self) -> str:
        return self.credentials.api_address

    @property
    def user(self) -> str | None:
        """The account named in ``credentials.json``, used as the default owner."""
        return self.credentials.user

    def __repr__(self) -> str:
        return f"Client({self.api_address!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; a non-2xx answer raises the matching ``modelport.errors`` class."""
        timeout = kwargs.pop("timeout", None)
        if timeout is not None:
            kwargs["timeout"] = timeout
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ModelportError(f"{self.api_address} did not answer in time") from None
        except httpx.TransportError as exc:
            raise ModelportError(
                f"cannot reach {self.api_address} ({exc}); is `modelport serve` running?"
            ) from None
        if not response.is_success:
            raise platform_error(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ModelportError(
                f"{method} {path} answered something other than JSON: {response.text[:200]}"
            ) from None

    def _object(self, method: str, path: str, **kwargs: Any) -> JSON:
        data = self._json(method, path, **kwargs)
        if not isinstance(data, dict):
            raise ModelportError(f"{method} {path} answered {type(data).__name__}, not an object")
        return data

    def _results(self, path: str) -> list[JSON]:
        data = self._object("GET", path)
        results = data.get("results", [])
        return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []

    # -- calls ------------------------------------------------------------------------------

    def algo(self, ref: str | AlgorithmRef) -> Algo:
        """``client.algo("alice/digits/0.1.*").pipe({"x": 1})``"""
        return Algo(self, ref if isinstance(ref, AlgorithmRef) else AlgorithmRef.parse(ref))

    # -- algorithms -------------------------------------------------------------------------

    def algorithms(self) -> list[JSON]:
        return self._results("/v1/algorithms")

    def algorithm(self, owner: str, name: str) -> JSON:
        return self._object("GET", f"/v1/algorithms/{owner}/{name}")

    def create_algorithm(
        self, owner: str, name: str, *, label: str | None = None, summary: str = ""
    ) -> JSON:
        body = {
            "name": name,
            "details": {"label": label or name, "summary": summary},
            "settings": {"algorithm_callability": "private"},
        }
        return self._object("POST", f"/v1/algorithms/{owner}", json=body)

    # -- builds -----------------------------------------------------------------------------

    def upload_build(
        self,
        owner: str,
        name: str,
        archive: bytes,
        *,
        wait: bool = False,
        progress: Progress | None = None,
    ) -> JSON:
        """Upload a ``.tar.gz`` of the source; ``progress(sent, total)`` sees each chunk."""

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(archive), _CHUNK):
                yield archive[start : start + _CHUNK]
                if progress is not None:
                    progress(min(start + _CHUNK, len(archive)), len(archive))

        if progress is not None:
            progress(0, len(archive))
        return self._object(
            "POST",
            f"/v1/algorithms/{owner}/{name}/builds",
            params={"wait": "true" if wait else "false"},
            content=chunks(),
            headers={"Content-Type": "application/gzip", "Content-Length": str(len(archive))},
            timeout=max(self.timeout, 900.0) if wait else None,
        )

    def build(self, owner: str, name: str, sha: str) -> JSON:
        return self._object("GET", f"/v1/algorithms/{owner}/{name}/builds/{sha}")

    def builds(self, owner: str, name: str) -> list[JSON]:
        return self._results(f"/v1/algorithms/{owner}/{name}/builds")

    def build_logs(self, owner: str, name: str, sha: str) -> str:
        data = self._object("GET", f"/v1/algorithms/{owner}/{name}/builds/{sha}/logs")
        return str(data.get("logs") or "")

    def wait_for_build(
        self,
        owner: str,
        name: str,
        sha: str,
        *,
        poll: float = 0.5,
        timeout: float = 900,
        on_status: OnStatus | None = None,
    ) -> JSON:
        """Poll until the build leaves ``in-progress``; ``on_status(build)`` sees every poll."""
        deadline = time.monotonic() + timeout
        while True:
            build = self.build(owner, name, sha)
            if on_status is not None:
                on_status(build)
            if build.get("status") != "in-progress":
                return build
            if time.monotonic() >= deadline:
                raise BuildInProgress(
                    f"build {sha} of {owner}/{name} still running after {timeout:g}s"
                )
            time.sleep(poll)

    def deploy(
        self,
        path: Path,
        *,
        owner: str | None = None,
        progress: Progress | None = None,
        on_status: OnStatus | None = None,
        poll: float = 0.5,
    ) -> JSON:
        """Create if needed, upload, build; the finished build, or BuildFailed with its logs."""
        return deploy(self, path, owner=owner, progress=progress, on_status=on_status, poll=poll)

    # -- versions ---------------------------------------------------------------------------

    def publish(
        self,
        owner: str,
        name: str,
        bump: str,
        *,
        callability: str = "private",
        release_notes: str = "",
        commit_sha: str | None = None,
    ) -> JSON:
        """Publish a build as the next major, minor or patch version; SampleMismatch if drifted."""
        body: JSON = {
            "settings": {"algorithm_callability": callability},
            "version_info": {"version_type": parse_bump(bump), "release_notes": release_notes},
        }
        if commit_sha:
            body["build"] = {"commit_sha": commit_sha}
        return self._object(
            "POST",
            f"/v1/algorithms/{owner}/{name}/versions",
            json=body,
            timeout=max(self.timeout, 900.0),
        )

    def versions(self, owner: str, name: str) -> list[JSON]:
        return self._results(f"/v1/algorithms/{owner}/{name}/versions")

    def share_demo(self, owner: str, name: str, *, shared: bool = True) -> JSON:
        """Share (or stop sharing) the public demo page ``/demo/OWNER/NAME``: anyone with the
        link tries the newest public version, signed out and rate limited."""
        body: JSON = {"settings": {"demo": shared}}
        return self._object("PUT", f"/v1/algorithms/{owner}/{name}", json=body)
