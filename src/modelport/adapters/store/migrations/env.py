"""Alembic's environment: run the migrations on the connection that ``upgrade()`` hands over.

Without a connection it opens ``sqlalchemy.url``, which is how ``command.revision(...,
autogenerate=True)`` compares a scratch database with ``tables.metadata`` (see ``migrate.py``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from modelport.adapters.store.engine import make_engine
from modelport.adapters.store.tables import metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():  # `alembic upgrade --sql`: print the SQL for a DBA
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    if not url:
        raise RuntimeError("set sqlalchemy.url or pass a connection in config.attributes")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _configure(connection)
    finally:
        engine.dispose()


# Alembic sets context.config before it runs this file; anything else importing it (doctest
# collection, import scanners) must not start a migration.
if hasattr(context, "config"):
    _run()
