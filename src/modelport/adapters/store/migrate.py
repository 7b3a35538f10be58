"""Schema migrations: ``upgrade(url)`` brings a database to the newest schema.

The Alembic scripts ship inside the package (``migrations/``), so no ``alembic.ini`` is
needed at runtime. To write a new revision after changing ``tables.py``, upgrade a scratch
database to head and let Alembic compare it with the tables::

    command.revision(alembic_config("sqlite:////tmp/scratch.db"), "what changed", autogenerate=True)
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from modelport.adapters.store.engine import make_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` built in code, pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        # configparser interpolates '%', which URL-encoded passwords contain
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision``; a no-op when it is already there.

    >>> upgrade("sqlite:////tmp/modelport.db")  # doctest: +SKIP
    """
    engine = make_engine(url)
    try:
        # One transaction for the whole upgrade: PostgreSQL rolls back DDL on failure.
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
