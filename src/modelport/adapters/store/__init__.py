"""The metadata store: ``SqlStore`` (SQLite or PostgreSQL) and ``MemoryStore`` (tests).

The composition root migrates, then opens::

    upgrade(url)
    store = SqlStore(url)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelport.adapters.store.memory import MemoryStore
from modelport.adapters.store.migrate import upgrade
from modelport.adapters.store.sql import SqlStore

__all__ = ["MemoryStore", "SqlStore", "upgrade"]

if TYPE_CHECKING:
    from modelport.core.ports import Store

    # mypy proves here that both classes implement the port.
    def _implements_store(sql: SqlStore, memory: MemoryStore) -> tuple[Store, Store]:
        return sql, memory
