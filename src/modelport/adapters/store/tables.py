"""The metadata schema: one SQLAlchemy Core table per domain noun.

The Alembic migrations under ``migrations/`` must produce exactly this schema; a test compares
them. Constraint names follow ``NAMING`` so that migrations can refer to them on every database.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; naive datetimes are a programming error, not a guess at a zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: use an aware one, e.g. datetime.now(UTC)")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware in UTC.

    PostgreSQL keeps the zone (``timestamptz``); SQLite keeps text without one, so we store
    naive UTC there (which also keeps text order equal to time order) and re-attach UTC on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


ID = String(64)  # ids are short opaque strings (uuid hex, 40-hex hashes)
NAME = String(200)

accounts = Table(
    "accounts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", NAME, nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("is_admin", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Bytes of data files the account owns; changed only by atomic ``x = x + d`` updates.
    Column("storage_bytes", BigInteger, nullable=False, default=0, server_default="0"),
    Column("password_hash", String(256), nullable=True),  # scrypt; NULL: no password sign-in
)

# Which user accounts belong to which organisation accounts; the pair is the key.
memberships = Table(
    "memberships",
    metadata,
    Column("org_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column(
        "account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    PrimaryKeyConstraint("org_id", "account_id"),
)

# Data collections (``data://owner/name``); the owner's name comes from a join with accounts.
collections = Table(
    "collections",
    metadata,
    Column("id", ID, primary_key=True),
    Column("owner_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", NAME, nullable=False),
    Column("acl", String(32), nullable=False),  # a ReadAcl value
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("owner_id", "name"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("prefix", String(64), nullable=False, unique=True),
    Column("secret_hash", String(256), nullable=False),
    Column("scopes", JSON, nullable=False),  # a sorted list of scope strings
    Column("name", NAME, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("parent_id", ID, nullable=True, index=True),  # the key that made it (no FK: kept)
)

# Signed-in browsers (``mps_<prefix>_<secret>`` in an HttpOnly cookie).
sessions = Table(
    "sessions",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("prefix", String(64), nullable=False, unique=True),
    Column("secret_hash", String(256), nullable=False),
    Column("scopes", JSON, nullable=False),  # a sorted list of scope strings
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
)

algorithms = Table(
    "algorithms",
    metadata,
    Column("id", ID, primary_key=True),
    Column("owner", NAME, nullable=False),
    Column("name", NAME, nullable=False),
    Column("details", JSON, nullable=False),
    Column("settings", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("source_sha", ID, nullable=True),
    UniqueConstraint("owner", "name"),
)

builds = Table(
    "builds",
    metadata,
    Column("algorithm_id", ID, ForeignKey("algorithms.id", ondelete="CASCADE"), nullable=False),
    Column("commit_sha", ID, nullable=False),
    Column("status", String(16), nullable=False),
    Column("manifest", JSON, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("env_hash", ID, nullable=True),
    Column("logs", Text, nullable=False),
    PrimaryKeyConstraint("algorithm_id", "commit_sha"),
)

# The semantic version is the key: three int columns, unique per algorithm via the primary key.
versions = Table(
    "versions",
    metadata,
    Column("algorithm_id", ID, ForeignKey("algorithms.id", ondelete="CASCADE"), nullable=False),
    Column("major", Integer, nullable=False),
    Column("minor", Integer, nullable=False),
    Column("patch", Integer, nullable=False),
    Column("commit_sha", ID, nullable=False),
    Column("callability", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("release_notes", Text, nullable=False),
    # none_as_null: a missing sample is SQL NULL; JSON null is not a sample anyone publishes
    Column("sample_input", JSON(none_as_null=True), nullable=True),
    Column("sample_output", JSON(none_as_null=True), nullable=True),
    Column("extra", JSON, nullable=False),
    PrimaryKeyConstraint("algorithm_id", "major", "minor", "patch"),
)
