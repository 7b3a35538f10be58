"""``SqlStore``: the ``Store`` port on SQLAlchemy Core, for SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from modelport.adapters.store.sql_accounts import SqlAccounts
from modelport.adapters.store.sql_base import exists_in, row_of
from modelport.adapters.store.tables import algorithms, builds, versions
from modelport.core.model import Algorithm, Build, BuildStatus, Version
from modelport.core.versions import Callability, SemVer
from modelport.errors import AlgorithmNotFound


class SqlStore(SqlAccounts):
    """Accounts, keys, organisations, collections, algorithms, builds and versions in a SQL
    database (SQLite or PostgreSQL); the accounts side lives in ``SqlAccounts``.

    Does not create or migrate the schema: call ``upgrade(url)`` first.

    >>> upgrade("sqlite:////tmp/mp.db"); store = SqlStore("sqlite:////tmp/mp.db")  # doctest: +SKIP
    """

    # algorithms

    def add_algorithm(self, algorithm: Algorithm) -> None:
        with self._write(f"algorithm {algorithm.owner}/{algorithm.name} already exists") as conn:
            conn.execute(algorithms.insert(), row_of(algorithm))

    def algorithm(self, owner: str, name: str) -> Algorithm | None:
        query = select(algorithms).where(algorithms.c.owner == owner, algorithms.c.name == name)
        return self._one(query, _algorithm)

    def algorithms(self, owner: str | None = None) -> list[Algorithm]:
        query = select(algorithms).order_by(algorithms.c.created_at.desc(), algorithms.c.id.desc())
        if owner is not None:
            query = query.where(algorithms.c.owner == owner)
        return self._all(query, _algorithm)

    def update_algorithm(self, algorithm: Algorithm) -> None:
        """Replace every field but the id. Raises ``AlgorithmNotFound`` or ``Conflict``."""
        row = row_of(algorithm)
        del row["id"]
        with self._write(f"algorithm {algorithm.owner}/{algorithm.name} already exists") as conn:
            done = conn.execute(
                update(algorithms).where(algorithms.c.id == algorithm.id).values(row)
            )
            if done.rowcount == 0:
                raise AlgorithmNotFound(f"algorithm {algorithm.id!r} not found")

    def delete_algorithm(self, algorithm_id: str) -> None:
        """Delete it with its builds and versions; deleting a missing one does nothing."""
        with self._engine.begin() as conn:
            # Explicit, not only ON DELETE CASCADE: correct even where foreign keys are off.
            conn.execute(delete(versions).where(versions.c.algorithm_id == algorithm_id))
            conn.execute(delete(builds).where(builds.c.algorithm_id == algorithm_id))
            conn.execute(delete(algorithms).where(algorithms.c.id == algorithm_id))

    # builds and versions

    def put_build(self, build: Build) -> None:
        row = row_of(build)
        insert = (postgresql if self._engine.dialect.name == "postgresql" else sqlite).insert
        stmt = insert(builds).values(row)
        # An upsert, so two builders racing on the same commit cannot fail with a conflict.
        stmt = stmt.on_conflict_do_update(
            index_elements=[builds.c.algorithm_id, builds.c.commit_sha],
            set_={name: stmt.excluded[name] for name in row if name not in _BUILD_KEY},
        )
        with self._engine.begin() as conn:
            _require_algorithm(conn, build.algorithm_id)
            conn.execute(stmt)

    def build(self, algorithm_id: str, commit_sha: str) -> Build | None:
        query = select(builds).where(
            builds.c.algorithm_id == algorithm_id, builds.c.commit_sha == commit_sha
        )
        return self._one(query, _build)

    def builds(self, algorithm_id: str) -> list[Build]:
        query = (
            select(builds)
            .where(builds.c.algorithm_id == algorithm_id)
            .order_by(builds.c.started_at.desc(), builds.c.commit_sha.desc())
        )
        return self._all(query, _build)

    def add_version(self, version: Version) -> None:
        row = row_of(version)
        semver = row.pop("semver")
        row |= {"major": semver.major, "minor": semver.minor, "patch": semver.patch}
        conflict = f"version {semver} of algorithm {version.algorithm_id!r} already exists"
        with self._write(conflict) as conn:
            _require_algorithm(conn, version.algorithm_id)
            conn.execute(versions.insert(), row)

    def versions(self, algorithm_id: str) -> list[Version]:
        c = versions.c
        query = (
            select(versions)
            .where(c.algorithm_id == algorithm_id)
            .order_by(c.created_at.desc(), c.major.desc(), c.minor.desc(), c.patch.desc())
        )
        return self._all(query, _version)


_BUILD_KEY = frozenset({"algorithm_id", "commit_sha"})


def _require_algorithm(conn: Connection, algorithm_id: str) -> None:
    if not exists_in(conn, algorithms, algorithms.c.id == algorithm_id):
        raise AlgorithmNotFound(f"algorithm {algorithm_id!r} not found")


def _algorithm(r: RowMapping) -> Algorithm:
    return Algorithm(
        id=r["id"],
        owner=r["owner"],
        name=r["name"],
        details=r["details"],
        settings=r["settings"],
        created_at=r["created_at"],
        source_sha=r["source_sha"],
    )


def _build(r: RowMapping) -> Build:
    return Build(
        algorithm_id=r["algorithm_id"],
        commit_sha=r["commit_sha"],
        status=BuildStatus(r["status"]),
        manifest=r["manifest"],
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        env_hash=r["env_hash"],
        logs=r["logs"],
    )


def _version(r: RowMapping) -> Version:
    return Version(
        algorithm_id=r["algorithm_id"],
        semver=SemVer(r["major"], r["minor"], r["patch"]),
        commit_sha=r["commit_sha"],
        callability=Callability(r["callability"]),
        created_at=r["created_at"],
        release_notes=r["release_notes"],
        sample_input=r["sample_input"],
        sample_output=r["sample_output"],
        extra=r["extra"],
    )
