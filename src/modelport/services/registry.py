"""Algorithms and their versions: create, look up, publish, and resolve what a call names."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from modelport.core.model import Algorithm, Build, BuildStatus, Version
from modelport.core.names import check_algorithm_name, check_owner
from modelport.core.ports import Store
from modelport.core.versions import (
    Bump,
    Callability,
    SpecKind,
    VersionSpec,
    first_version,
    resolve,
)
from modelport.errors import (
    AccountNotFound,
    AlgorithmNotFound,
    BuildNotFound,
    Conflict,
    Forbidden,
    VersionNotFound,
)
from modelport.services.principal import Principal

DEFAULT_SETTINGS: dict[str, Any] = {
    "algorithm_callability": "private",
    "source_visibility": "closed",
    "language": "python3",
    "environment": "cpu",
    "license": "apache2",
    "network_access": "full",
    "pipeline_enabled": True,
}


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a call runs: the build, and the version when one was named or matched."""

    algorithm: Algorithm
    build: Build
    version: Version | None


class Registry:
    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._store = store
        self._clock = clock

    def create(
        self,
        caller: Principal,
        owner: str,
        name: str,
        details: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Algorithm:
        self._check_manage(caller, check_owner(owner))
        if self._store.account_by_name(owner) is None:
            raise AccountNotFound(f"no account named {owner!r}")
        algorithm = Algorithm(
            id=str(uuid.uuid4()),
            owner=owner,
            name=check_algorithm_name(name),
            details={"label": name, "summary": "", "tagline": "", **(details or {})},
            settings={**DEFAULT_SETTINGS, **(settings or {})},
            created_at=self._clock(),
        )
        self._store.add_algorithm(algorithm)
        return algorithm

    def get(self, owner: str, name: str) -> Algorithm:
        algorithm = self._store.algorithm(owner, name)
        if algorithm is None:
            raise AlgorithmNotFound(f"No such algorithm: algo://{owner}/{name}")
        return algorithm

    def get_managed(self, caller: Principal, owner: str, name: str) -> Algorithm:
        """The algorithm, if the caller may change it (else 404 for strangers, as for calls)."""
        algorithm = self.get(owner, name)
        self._check_manage(caller, owner, hide=True, algorithm=algorithm)
        return algorithm

    def get_visible(self, caller: Principal, owner: str, name: str) -> Algorithm:
        """The algorithm, if the caller owns it or it is public (else 404, as for calls)."""
        algorithm = self.get(owner, name)
        if not caller.owns(owner) and not self._public(algorithm):
            raise AlgorithmNotFound(f"No such algorithm: algo://{owner}/{name}")
        return algorithm

    def visible(self, caller: Principal) -> list[Algorithm]:
        return [a for a in self._store.algorithms() if caller.owns(a.owner) or self._public(a)]

    def update(
        self, algorithm: Algorithm, details: dict[str, Any], settings: dict[str, Any]
    ) -> Algorithm:
        updated = replace(
            algorithm,
            details={**algorithm.details, **details},
            settings={**algorithm.settings, **settings},
        )
        self._store.update_algorithm(updated)
        return updated

    def set_source(self, algorithm: Algorithm, sha: str) -> Algorithm:
        updated = replace(algorithm, source_sha=sha)
        self._store.update_algorithm(updated)
        return updated

    def delete(self, algorithm: Algorithm) -> None:
        self._store.delete_algorithm(algorithm.id)

    def versions(self, algorithm: Algorithm, caller: Principal | None = None) -> list[Version]:
        """Newest first; a ``caller`` who does not own the algorithm sees the public ones
        only (a private version's notes, hash and README are its owner's business)."""
        found = self._store.versions(algorithm.id)
        if caller is None or caller.owns(algorithm.owner):
            return found
        return [v for v in found if v.callability == Callability.PUBLIC]

    def add_version(
        self,
        algorithm: Algorithm,
        build: Build,
        bump: Bump,
        *,
        callability: Callability,
        release_notes: str = "",
        sample_input: Any = None,
        sample_output: Any = None,
    ) -> Version:
        if build.status != BuildStatus.SUCCEEDED:
            raise Conflict(
                f"build {build.commit_sha} is {build.status}; only successful builds publish"
            )
        existing = self._store.versions(algorithm.id)
        if any(v.commit_sha == build.commit_sha for v in existing):
            raise Conflict(f"build {build.commit_sha} is already published")
        newest = max((v.semver for v in existing), default=None)
        semver = newest.bump(bump) if newest else first_version(bump)
        version = Version(
            algorithm_id=algorithm.id,
            semver=semver,
            commit_sha=build.commit_sha,
            callability=callability,
            created_at=self._clock(),
            release_notes=release_notes,
            sample_input=sample_input,
            sample_output=sample_output,
        )
        self._store.add_version(version)
        if callability == Callability.PUBLIC and not self._public(algorithm):
            self.update(algorithm, {}, {"algorithm_callability": "public"})
        return version

    def resolve(self, caller: Principal, owner: str, name: str, version: str | None) -> Resolved:
        """The build a call to ``owner/name[/version]`` runs, for this caller."""
        spec = VersionSpec.parse(version)
        # made private (or never public): to a stranger, as if it did not exist, whatever
        # public versions it still has
        algorithm = self.get_visible(caller, owner, name)
        is_owner = caller.owns(owner)
        if spec.kind == SpecKind.BUILD:
            build = self._store.build(algorithm.id, spec.text)
            if build is None or not is_owner:
                raise VersionNotFound(f"no build {spec.text} of algo://{owner}/{name}")
            if build.status != BuildStatus.SUCCEEDED:
                raise VersionNotFound(
                    f"build {spec.text} of algo://{owner}/{name} is {build.status}, not callable"
                )
            return Resolved(algorithm, build, None)
        versions = self._store.versions(algorithm.id)
        chosen = resolve(spec, versions, owner=is_owner)
        if chosen is None:
            raise VersionNotFound(self._no_match(owner, name, spec, bool(versions)))
        build = self._store.build(algorithm.id, chosen.commit_sha)
        if build is None:
            raise BuildNotFound(f"build {chosen.commit_sha} of algo://{owner}/{name} is missing")
        return Resolved(algorithm, build, chosen)

    @staticmethod
    def _no_match(owner: str, name: str, spec: VersionSpec, any_published: bool) -> str:
        if not any_published:
            return (
                f"algo://{owner}/{name} has no published version yet: call a build hash,"
                " or publish one"
            )
        return f"no published version of algo://{owner}/{name} matches {spec.text}"

    @staticmethod
    def _public(algorithm: Algorithm) -> bool:
        return bool(algorithm.settings.get("algorithm_callability") == "public")

    def _check_manage(
        self,
        caller: Principal,
        owner: str,
        *,
        hide: bool = False,
        algorithm: Algorithm | None = None,
    ) -> None:
        if caller.owns(owner):
            return
        if hide and algorithm is not None and not self._public(algorithm):
            raise AlgorithmNotFound(f"No such algorithm: algo://{owner}/{algorithm.name}")
        raise Forbidden(f"{caller.account.name} may not manage algorithms of {owner}")
