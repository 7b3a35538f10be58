"""``MemoryStore``: the ``Store`` port in dictionaries, with ``SqlStore``'s semantics, for tests."""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import fields, replace
from datetime import datetime
from typing import Any, TypeVar

from modelport.adapters.store.tables import as_utc
from modelport.core.model import Account, Algorithm, ApiKey, Build, Version
from modelport.core.versions import SemVer
from modelport.errors import AccountNotFound, AlgorithmNotFound, Conflict, NotFound

# Constrained, so that dataclasses.fields and replace type-check for every model class.
T = TypeVar("T", Account, ApiKey, Algorithm, Build, Version)

_JSON_FIELDS = frozenset(
    {"details", "settings", "manifest", "sample_input", "sample_output", "extra"}
)


class MemoryStore:
    """Everything in dictionaries behind one lock; lost on exit.

    Values come back as the SQL store returns them: datetimes in UTC, JSON fields as fresh
    copies that went through ``json`` (tuples become lists), lists newest first.

    >>> MemoryStore().algorithms()
    []
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._keys: dict[str, ApiKey] = {}
        self._algorithms: dict[str, Algorithm] = {}
        self._builds: dict[tuple[str, str], Build] = {}
        self._versions: dict[tuple[str, SemVer], Version] = {}

    # accounts and keys

    def add_account(self, account: Account) -> None:
        with self._lock:
            taken = any(a.name == account.name for a in self._accounts.values())
            if taken or account.id in self._accounts:
                raise Conflict(f"account {account.name!r} already exists")
            self._accounts[account.id] = _stored(account)

    def account_by_name(self, name: str) -> Account | None:
        with self._lock:
            return next((a for a in self._accounts.values() if a.name == name), None)

    def account_by_id(self, account_id: str) -> Account | None:
        with self._lock:
            return self._accounts.get(account_id)

    def add_key(self, key: ApiKey) -> None:
        with self._lock:
            if key.account_id not in self._accounts:
                raise AccountNotFound(f"account {key.account_id!r} not found")
            taken = any(k.prefix == key.prefix for k in self._keys.values())
            if taken or key.id in self._keys:
                raise Conflict(f"an API key with prefix {key.prefix!r} already exists")
            self._keys[key.id] = _stored(key)

    def key_by_prefix(self, prefix: str) -> ApiKey | None:
        with self._lock:
            return next((k for k in self._keys.values() if k.prefix == prefix), None)

    def keys_of(self, account_id: str) -> list[ApiKey]:
        with self._lock:
            found = [k for k in self._keys.values() if k.account_id == account_id]
        return sorted(found, key=lambda k: (k.created_at, k.id), reverse=True)

    def revoke_key(self, key_id: str, at: datetime) -> None:
        """Revoke once: revoking again keeps the first time. Raises ``NotFound``."""
        with self._lock:
            key = self._keys.get(key_id)
            if key is None:
                raise NotFound(f"API key {key_id!r} not found")
            if key.revoked_at is None:
                self._keys[key_id] = replace(key, revoked_at=as_utc(at))

    # algorithms

    def add_algorithm(self, algorithm: Algorithm) -> None:
        with self._lock:
            if algorithm.id in self._algorithms or self._named(algorithm) is not None:
                raise Conflict(f"algorithm {algorithm.owner}/{algorithm.name} already exists")
            self._algorithms[algorithm.id] = _stored(algorithm)

    def algorithm(self, owner: str, name: str) -> Algorithm | None:
        with self._lock:
            found = next(
                (a for a in self._algorithms.values() if (a.owner, a.name) == (owner, name)), None
            )
            return None if found is None else _copied(found)

    def algorithms(self, owner: str | None = None) -> list[Algorithm]:
        with self._lock:
            found = [
                _copied(a) for a in self._algorithms.values() if owner is None or a.owner == owner
            ]
        return sorted(found, key=lambda a: (a.created_at, a.id), reverse=True)

    def update_algorithm(self, algorithm: Algorithm) -> None:
        """Replace every field but the id. Raises ``AlgorithmNotFound`` or ``Conflict``."""
        with self._lock:
            if algorithm.id not in self._algorithms:
                raise AlgorithmNotFound(f"algorithm {algorithm.id!r} not found")
            other = self._named(algorithm)
            if other is not None and other.id != algorithm.id:
                raise Conflict(f"algorithm {algorithm.owner}/{algorithm.name} already exists")
            self._algorithms[algorithm.id] = _stored(algorithm)

    def delete_algorithm(self, algorithm_id: str) -> None:
        """Delete it with its builds and versions; deleting a missing one does nothing."""
        with self._lock:
            self._algorithms.pop(algorithm_id, None)
            self._builds = {k: b for k, b in self._builds.items() if k[0] != algorithm_id}
            self._versions = {k: v for k, v in self._versions.items() if k[0] != algorithm_id}

    # builds and versions

    def put_build(self, build: Build) -> None:
        with self._lock:
            self._require_algorithm(build.algorithm_id)
            self._builds[build.algorithm_id, build.commit_sha] = _stored(build)

    def build(self, algorithm_id: str, commit_sha: str) -> Build | None:
        with self._lock:
            found = self._builds.get((algorithm_id, commit_sha))
            return None if found is None else _copied(found)

    def builds(self, algorithm_id: str) -> list[Build]:
        with self._lock:
            found = [_copied(b) for k, b in self._builds.items() if k[0] == algorithm_id]
        return sorted(found, key=lambda b: (b.started_at, b.commit_sha), reverse=True)

    def add_version(self, version: Version) -> None:
        with self._lock:
            self._require_algorithm(version.algorithm_id)
            key = (version.algorithm_id, version.semver)
            if key in self._versions:
                raise Conflict(
                    f"version {version.semver} of algorithm {version.algorithm_id!r} already exists"
                )
            self._versions[key] = _stored(version)

    def versions(self, algorithm_id: str) -> list[Version]:
        with self._lock:
            found = [_copied(v) for k, v in self._versions.items() if k[0] == algorithm_id]
        return sorted(found, key=lambda v: (v.created_at, v.semver), reverse=True)

    def close(self) -> None:
        pass

    # plumbing (callers hold the lock)

    def _named(self, algorithm: Algorithm) -> Algorithm | None:
        wanted = (algorithm.owner, algorithm.name)
        return next((a for a in self._algorithms.values() if (a.owner, a.name) == wanted), None)

    def _require_algorithm(self, algorithm_id: str) -> None:
        if algorithm_id not in self._algorithms:
            raise AlgorithmNotFound(f"algorithm {algorithm_id!r} not found")


def _stored(value: T) -> T:
    """``value`` as the SQL store would keep it: UTC datetimes, JSON fields through ``json``.

    Raises ``ValueError`` for naive datetimes and ``TypeError`` for values JSON cannot hold.
    """
    changes: dict[str, Any] = {}
    for f in fields(value):
        v = getattr(value, f.name)
        if isinstance(v, datetime):
            changes[f.name] = as_utc(v)
        elif f.name in _JSON_FIELDS:
            changes[f.name] = json.loads(json.dumps(v))
    return replace(value, **changes)


def _copied(value: T) -> T:
    """A copy whose JSON fields the caller may mutate without changing the store."""
    changes = {name: copy.deepcopy(getattr(value, name)) for name in _json_fields(value)}
    return replace(value, **changes)


def _json_fields(value: T) -> list[str]:
    return [f.name for f in fields(value) if f.name in _JSON_FIELDS]
