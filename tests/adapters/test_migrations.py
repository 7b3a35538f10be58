"""The Alembic migrations build exactly the schema that ``tables.py`` describes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from modelport.adapters.store import SqlStore, upgrade
from modelport.adapters.store.engine import make_engine
from modelport.adapters.store.migrate import MIGRATIONS, alembic_config
from modelport.adapters.store.tables import metadata


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'modelport.db'}"
    else:
        yield request.getfixturevalue("fresh_postgres_url")


def schema_diffs(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_tables(url: str) -> None:
    upgrade(url)
    assert schema_diffs(url) == []


def test_upgrade_twice_is_a_no_op(url: str) -> None:
    upgrade(url)
    upgrade(url)
    assert schema_diffs(url) == []


def test_downgrade_to_base_and_up_again(url: str) -> None:
    upgrade(url)
    config = alembic_config(url)
    command.downgrade(config, "base")
    assert table_names(url) == {"alembic_version"}
    upgrade(url)
    assert table_names(url) == {*metadata.tables, "alembic_version"}


def test_0002_keeps_the_accounts_and_keys_of_0001(url: str) -> None:
    upgrade(url, "0001")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, name, kind, is_admin, created_at)"
                    " VALUES ('a1', 'alice', 'user', false, '2026-01-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO api_keys (id, account_id, prefix, secret_hash, scopes, name,"
                    " created_at) VALUES ('k1', 'a1', 'abc', 'h', '[\"algo:call\"]', 'laptop',"
                    " '2026-01-01 00:00:00')"
                )
            )
    finally:
        engine.dispose()
    upgrade(url)
    assert schema_diffs(url) == []
    store = SqlStore(url)
    try:
        alice = store.account_by_name("alice")
        assert alice is not None and store.usage(alice.id) == 0
        assert [k.prefix for k in store.keys_of(alice.id)] == ["abc"]
        assert store.add_usage(alice.id, 5) == 5
        assert store.organizations_of(alice.id) == [] and store.collections(alice.id) == []
    finally:
        store.close()
    command.downgrade(alembic_config(url), "0001")
    assert table_names(url) == {"accounts", "api_keys", "algorithms", "builds", "versions",
                                "alembic_version"}  # fmt: skip
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM api_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_the_store_does_not_migrate_by_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'modelport.db'}"
    store = SqlStore(url)
    try:
        with pytest.raises(Exception, match="no such table"):
            store.algorithms()
    finally:
        store.close()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'modelport.db'}")
    try:
        with engine.connect() as conn:
            pragma = conn.connection.driver_connection.execute  # type: ignore[union-attr]
            assert pragma("PRAGMA journal_mode").fetchone() == ("wal",)
            assert pragma("PRAGMA foreign_keys").fetchone() == (1,)
            assert pragma("PRAGMA busy_timeout").fetchone()[0] > 0
    finally:
        engine.dispose()


def test_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()
    assert list((MIGRATIONS / "versions").glob("0001_*.py"))
    assert list((MIGRATIONS / "versions").glob("0002_*.py"))
