"""What every part of ``SqlStore`` shares: the engine, transactions and row conversion."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable, Table, exists, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from modelport.adapters.store.engine import make_engine
from modelport.adapters.store.tables import as_utc
from modelport.errors import Conflict

T = TypeVar("T")


class SqlBase:
    """One engine (and pool) per store; every method takes a short connection from it, so a
    store is safe to share between the threads of FastAPI's pool."""

    def __init__(self, url: str) -> None:
        self._engine = make_engine(url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self._engine.dispose()

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


def exists_in(conn: Connection, table: Table, condition: Any) -> bool:
    return bool(conn.execute(select(exists().where(condition).select_from(table))).scalar())


def row_of(value: Any, *, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A dataclass as column values: aware datetimes in UTC, enums as their string values."""
    row: dict[str, Any] = {}
    for f in fields(value):
        if f.name in leave_out:
            continue
        v = getattr(value, f.name)
        if isinstance(v, datetime):
            v = as_utc(v)  # raises on naive datetimes here, not deep inside SQLAlchemy
        elif isinstance(v, Enum):
            v = v.value
        row[f.name] = v
    return row
