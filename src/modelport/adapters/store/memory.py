"""``MemoryStore``: the ``Store`` port in dictionaries, with ``SqlStore``'s semantics, for tests."""

from __future__ import annotations

from modelport.adapters.store.memory_accounts import MemoryAccounts, copied, stored
from modelport.core.model import Algorithm, Build, Version
from modelport.core.versions import SemVer
from modelport.errors import AlgorithmNotFound, Conflict


class MemoryStore(MemoryAccounts):
    """Everything in dictionaries behind one lock; lost on exit.

    Values come back as the SQL store returns them: datetimes in UTC, JSON fields as fresh
    copies that went through ``json`` (tuples become lists), lists newest first.

    >>> MemoryStore().algorithms()
    []
    """

    def __init__(self) -> None:
        super().__init__()
        self._algorithms: dict[str, Algorithm] = {}
        self._builds: dict[tuple[str, str], Build] = {}
        self._versions: dict[tuple[str, SemVer], Version] = {}

    # algorithms

    def add_algorithm(self, algorithm: Algorithm) -> None:
        with self._lock:
            if algorithm.id in self._algorithms or self._named(algorithm) is not None:
                raise Conflict(f"algorithm {algorithm.owner}/{algorithm.name} already exists")
            self._algorithms[algorithm.id] = stored(algorithm)

    def algorithm(self, owner: str, name: str) -> Algorithm | None:
        with self._lock:
            found = next(
                (a for a in self._algorithms.values() if (a.owner, a.name) == (owner, name)), None
            )
            return None if found is None else copied(found)

    def algorithms(self, owner: str | None = None) -> list[Algorithm]:
        with self._lock:
            found = [
                copied(a) for a in self._algorithms.values() if owner is None or a.owner == owner
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
            self._algorithms[algorithm.id] = stored(algorithm)

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
            self._builds[build.algorithm_id, build.commit_sha] = stored(build)

    def build(self, algorithm_id: str, commit_sha: str) -> Build | None:
        with self._lock:
            found = self._builds.get((algorithm_id, commit_sha))
            return None if found is None else copied(found)

    def builds(self, algorithm_id: str) -> list[Build]:
        with self._lock:
            found = [copied(b) for k, b in self._builds.items() if k[0] == algorithm_id]
        return sorted(found, key=lambda b: (b.started_at, b.commit_sha), reverse=True)

    def add_version(self, version: Version) -> None:
        with self._lock:
            self._require_algorithm(version.algorithm_id)
            key = (version.algorithm_id, version.semver)
            if key in self._versions:
                raise Conflict(
                    f"version {version.semver} of algorithm {version.algorithm_id!r} already exists"
                )
            self._versions[key] = stored(version)

    def versions(self, algorithm_id: str) -> list[Version]:
        with self._lock:
            found = [copied(v) for k, v in self._versions.items() if k[0] == algorithm_id]
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
