"""``SqlStore``: the ``Store`` port on SQLAlchemy Core, for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable, Table, delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from modelport.adapters.store.engine import make_engine
from modelport.adapters.store.tables import accounts, algorithms, api_keys, as_utc, builds, versions
from modelport.core.model import (
    Account,
    AccountKind,
    Algorithm,
    ApiKey,
    Build,
    BuildStatus,
    Version,
)
from modelport.core.versions import Callability, SemVer
from modelport.errors import AccountNotFound, AlgorithmNotFound, Conflict, NotFound

T = TypeVar("T")


class SqlStore:
    """Accounts, keys, algorithms, builds and versions in a SQL database.

    Does not create or migrate the schema: call ``upgrade(url)`` first.

    >>> upgrade("sqlite:////tmp/mp.db"); store = SqlStore("sqlite:////tmp/mp.db")  # doctest: +SKIP
    """

    def __init__(self, url: str) -> None:
        # One engine (and pool) per store; every method takes a short connection from it, so a
        # store is safe to share between the threads of FastAPI's pool.
        self._engine = make_engine(url)

    def __repr__(self) -> str:
        return f"SqlStore({self._engine.url.render_as_string(hide_password=True)!r})"

    # accounts and keys

    def add_account(self, account: Account) -> None:
        with self._write(f"account {account.name!r} already exists") as conn:
            conn.execute(accounts.insert(), _row(account))

    def account_by_name(self, name: str) -> Account | None:
        return self._one(select(accounts).where(accounts.c.name == name), _account)

    def account_by_id(self, account_id: str) -> Account | None:
        return self._one(select(accounts).where(accounts.c.id == account_id), _account)

    def add_key(self, key: ApiKey) -> None:
        row = _row(key) | {"scopes": sorted(key.scopes)}
        with self._write(f"an API key with prefix {key.prefix!r} already exists") as conn:
            if not _exists(conn, accounts, accounts.c.id == key.account_id):
                raise AccountNotFound(f"account {key.account_id!r} not found")
            conn.execute(api_keys.insert(), row)

    def key_by_prefix(self, prefix: str) -> ApiKey | None:
        return self._one(select(api_keys).where(api_keys.c.prefix == prefix), _key)

    def keys_of(self, account_id: str) -> list[ApiKey]:
        query = (
            select(api_keys)
            .where(api_keys.c.account_id == account_id)
            .order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
        )
        return self._all(query, _key)

    def revoke_key(self, key_id: str, at: datetime) -> None:
        """Revoke once: revoking again keeps the first time. Raises ``NotFound``."""
        with self._engine.begin() as conn:
            done = conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=as_utc(at))
            )
            if done.rowcount == 0 and not _exists(conn, api_keys, api_keys.c.id == key_id):
                raise NotFound(f"API key {key_id!r} not found")

    # algorithms

    def add_algorithm(self, algorithm: Algorithm) -> None:
        with self._write(f"algorithm {algorithm.owner}/{algorithm.name} already exists") as conn:
            conn.execute(algorithms.insert(), _row(algorithm))

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
        row = _row(algorithm)
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
        row = _row(build)
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
        row = _row(version)
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

    def close(self) -> None:
        self._engine.dispose()

    # plumbing

    @contextmanager
    def _write(self, conflict: str) -> Iterator[Connection]:
        """A transaction in which a unique-constraint violation means ``Conflict(conflict)``."""
        try:
            with self._engine.begin() as conn:
                yield conn
        except IntegrityError as e:
            raise Conflict(conflict) from e

    def _one(self, query: Executable, convert: Callable[[RowMapping], T]) -> T | None:
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else convert(row)

    def _all(self, query: Executable, convert: Callable[[RowMapping], T]) -> list[T]:
        with self._engine.connect() as conn:
            return [convert(row) for row in conn.execute(query).mappings()]


_BUILD_KEY = frozenset({"algorithm_id", "commit_sha"})


def _exists(conn: Connection, table: Table, condition: Any) -> bool:
    return bool(conn.execute(select(exists().where(condition).select_from(table))).scalar())


def _require_algorithm(conn: Connection, algorithm_id: str) -> None:
    if not _exists(conn, algorithms, algorithms.c.id == algorithm_id):
        raise AlgorithmNotFound(f"algorithm {algorithm_id!r} not found")


def _row(value: Any) -> dict[str, Any]:
    """A dataclass as column values: aware datetimes in UTC, enums as their string values."""
    row: dict[str, Any] = {}
    for f in fields(value):
        v = getattr(value, f.name)
        if isinstance(v, datetime):
            v = as_utc(v)  # raises on naive datetimes here, not deep inside SQLAlchemy
        elif isinstance(v, Enum):
            v = v.value
        row[f.name] = v
    return row


def _account(r: RowMapping) -> Account:
    return Account(
        id=r["id"],
        name=r["name"],
        kind=AccountKind(r["kind"]),
        is_admin=bool(r["is_admin"]),
        created_at=r["created_at"],
    )


def _key(r: RowMapping) -> ApiKey:
    return ApiKey(
        id=r["id"],
        account_id=r["account_id"],
        prefix=r["prefix"],
        secret_hash=r["secret_hash"],
        scopes=frozenset(r["scopes"]),
        name=r["name"],
        created_at=r["created_at"],
        revoked_at=r["revoked_at"],
    )


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
