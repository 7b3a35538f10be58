"""The ports: what services need from the outside world, as Protocols.

Adapters implement them (``modelport.adapters``); services receive them in constructors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from modelport.core.calls import CallRequest, CallResult
from modelport.core.manifest import Manifest
from modelport.core.model import Account, Algorithm, ApiKey, Build, Version

Log = Callable[[str], None]


class Store(Protocol):
    """Metadata: accounts, keys, algorithms, builds and versions."""

    def add_account(self, account: Account) -> None: ...
    def account_by_name(self, name: str) -> Account | None: ...
    def account_by_id(self, account_id: str) -> Account | None: ...
    def add_key(self, key: ApiKey) -> None: ...
    def key_by_prefix(self, prefix: str) -> ApiKey | None: ...
    def keys_of(self, account_id: str) -> list[ApiKey]: ...
    def revoke_key(self, key_id: str, at: datetime) -> None: ...

    def add_algorithm(self, algorithm: Algorithm) -> None:
        """Raises ``Conflict`` when ``owner/name`` exists."""

    def algorithm(self, owner: str, name: str) -> Algorithm | None: ...
    def algorithms(self, owner: str | None = None) -> list[Algorithm]: ...
    def update_algorithm(self, algorithm: Algorithm) -> None: ...
    def delete_algorithm(self, algorithm_id: str) -> None:
        """Deletes its builds and versions too."""

    def put_build(self, build: Build) -> None:
        """Insert, or replace the row with the same ``(algorithm_id, commit_sha)``."""

    def build(self, algorithm_id: str, commit_sha: str) -> Build | None: ...
    def builds(self, algorithm_id: str) -> list[Build]:
        """Newest first."""

    def add_version(self, version: Version) -> None:
        """Raises ``Conflict`` when that semantic version exists."""

    def versions(self, algorithm_id: str) -> list[Version]:
        """Newest first."""

    def close(self) -> None: ...


class Blobs(Protocol):
    """Opaque bytes by key (``sources/<sha>.tar.gz``); writes are atomic."""

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes:
        """Raises ``NotFound``."""

    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


class Environments(Protocol):
    """Isolated Python environments, one per (python, requirements) set, cached by its hash."""

    def key(self, python: str | None, requirements: Sequence[str]) -> str:
        """The environment's hash."""

    def ensure(self, python: str | None, requirements: Sequence[str], log: Log) -> Path:
        """Create the environment unless cached; return its Python executable.

        Raises ``EnvironmentFailed`` with the installer's message.
        """


@dataclass(frozen=True, slots=True)
class Deployment:
    """Everything the runner needs to start workers for one build."""

    key: str  # "owner/name@commit_sha", stable per build
    python: Path  # the environment's interpreter
    source_dir: Path  # the build's unpacked source, the worker's working directory
    manifest: Manifest


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    log: str
    batchable: bool = False


class Runner(Protocol):
    """Runs calls on workers. The local pool and a cluster runner implement the same port."""

    def check(self, deployment: Deployment) -> CheckResult:
        """Import the entrypoint in a real worker and report (blocking; used by builds)."""

    async def call(self, deployment: Deployment, request: CallRequest) -> CallResult:
        """Run one call; algorithm failures come back as ``CallResult.error``.

        Raises ``Busy`` when the build's queue is full.
        """

    async def stop(self, key: str) -> None:
        """Stop the workers of one build."""

    def workers(self) -> dict[str, int]:
        """Worker count by state (``starting``, ``idle``, ``busy``), for metrics."""

    async def close(self) -> None: ...
