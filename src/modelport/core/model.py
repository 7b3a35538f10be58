"""The domain's values: accounts, keys, algorithms, builds and versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from modelport.core.versions import Callability, SemVer


class AccountKind(StrEnum):
    USER = "user"
    ORG = "org"


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    kind: AccountKind
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as stored: the secret only as a hash; ``prefix`` finds the row."""

    id: str
    account_id: str
    prefix: str
    secret_hash: str
    scopes: frozenset[str]
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    parent_id: str | None = None  # the key that made this one; revoked with it


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: like an API key (``prefix`` finds it, only a hash of its secret is
    stored), with the scopes it was opened with and an end."""

    id: str
    account_id: str
    prefix: str
    secret_hash: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Algorithm:
    id: str
    owner: str
    name: str
    details: dict[str, Any]
    settings: dict[str, Any]
    created_at: datetime
    source_sha: str | None = None  # the newest uploaded source, what ``compile`` builds


class BuildStatus(StrEnum):
    IN_PROGRESS = "in-progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Build:
    """An immutable snapshot of an algorithm's source; ``commit_sha`` is its content hash."""

    algorithm_id: str
    commit_sha: str
    status: BuildStatus
    manifest: dict[str, Any]
    started_at: datetime
    finished_at: datetime | None = None
    env_hash: str | None = None
    logs: str = ""


@dataclass(frozen=True, slots=True)
class Version:
    algorithm_id: str
    semver: SemVer
    commit_sha: str
    callability: Callability
    created_at: datetime
    release_notes: str = ""
    sample_input: Any = None
    sample_output: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class ReadAcl(StrEnum):
    """Who may read a collection, in the v1 API's ``{"acl": {"read": [...]}}`` terms."""

    PRIVATE = "private"  # {"read": []}: the owner (and its organisation's members)
    MY_ALGORITHMS = "my_algorithms"  # {"read": ["algo://.my/*"]}: also the owner's algorithms
    PUBLIC = "public"  # {"read": ["user://*"]}: anyone with a key


@dataclass(frozen=True, slots=True)
class Collection:
    """A named folder tree of files, ``data://owner/name/...``."""

    id: str
    owner_id: str
    owner: str
    name: str
    acl: ReadAcl
    created_at: datetime
