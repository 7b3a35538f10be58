"""The ports: what services need from the outside world, as Protocols.

Adapters implement them (``modelport.adapters``); services receive them in constructors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from modelport.core.calls import CallRequest, CallResult
from modelport.core.manifest import Manifest
from modelport.core.model import Account, Algorithm, ApiKey, Build, Collection, Session, Version

Log = Callable[[str], None]


class Store(Protocol):
    """Metadata: accounts, keys, algorithms, builds and versions."""

    def add_account(self, account: Account) -> None: ...
    def account_by_name(self, name: str) -> Account | None: ...
    def account_by_folded_name(self, name: str) -> Account | None:
        """The account whose name is ``name`` but for case."""

    def account_by_id(self, account_id: str) -> Account | None: ...
    def add_key(self, key: ApiKey) -> None: ...
    def key_by_prefix(self, prefix: str) -> ApiKey | None: ...
    def keys_of(self, account_id: str) -> list[ApiKey]: ...
    def keys_made_by(self, key_id: str) -> list[ApiKey]: ...
    def revoke_key(self, key_id: str, at: datetime) -> None: ...
    def set_password(self, account_id: str, password_hash: str | None) -> None: ...
    def password_hash(self, account_id: str) -> str | None: ...
    def add_session(self, session: Session) -> None: ...
    def session_by_prefix(self, prefix: str) -> Session | None: ...
    def end_session(self, session_id: str, at: datetime) -> None:
        """End it (idempotent) and drop sessions that ended or expired a day before ``at``."""

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

    # accounts beyond the first: organisations and their members
    def accounts(self) -> list[Account]: ...
    def add_member(self, org_id: str, account_id: str) -> None:
        """Idempotent; raises ``AccountNotFound`` for unknown ids."""

    def remove_member(self, org_id: str, account_id: str) -> None: ...
    def members(self, org_id: str) -> list[Account]: ...
    def organizations_of(self, account_id: str) -> list[Account]: ...

    # collections, and the bytes each account stores
    def add_collection(self, collection: Collection) -> None:
        """Raises ``Conflict`` when ``owner/name`` exists."""

    def collection(self, owner: str, name: str) -> Collection | None: ...
    def collections(self, owner_id: str) -> list[Collection]:
        """By name."""

    def update_collection(self, collection: Collection) -> None: ...
    def delete_collection(self, collection_id: str) -> None: ...
    def add_usage(self, account_id: str, delta: int) -> int:
        """Add ``delta`` (may be negative) to the bytes the account stores; the new total."""

    def usage(self, account_id: str) -> int: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """A stored file: its key (or, in listings, its name in the folder), size and time."""

    key: str
    size: int
    modified: datetime


class Blobs(Protocol):
    """Files by key (``sources/<sha>.tar.gz``, ``data/alice/digits/model.dat``).

    Writes are atomic: a reader sees the old content or the new, never a part, and an upload
    that fails leaves nothing behind. Large files stream: nothing here holds one in memory.
    """

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes:
        """Raises ``NotFound``."""

    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def staging(self) -> Path:
        """A folder for spooling uploads; on disk it shares the blobs' filesystem."""

    def put_file(self, key: str, source: Path) -> BlobInfo:
        """Store the file at ``source`` as ``key`` atomically; ``source`` is consumed."""

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the blob; raises ``NotFound``."""

    def stat(self, key: str) -> BlobInfo | None: ...
    def list(self, prefix: str) -> tuple[list[str], list[BlobInfo]]:
        """The folder ``prefix`` (ending in ``/``): sub-folder names, and files by name."""

    def make_folder(self, prefix: str) -> None:
        """Make an empty folder exist (a marker object on S3)."""

    def folder_exists(self, prefix: str) -> bool: ...
    def delete_tree(self, prefix: str) -> int:
        """Delete the folder ``prefix`` and all below it; the number of files deleted."""


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
    build_hash: str | None = None  # the tree's hash: checked on disk before a worker starts


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
