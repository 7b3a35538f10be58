"""Which key made a key, so revoking a key revokes the keys it made.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN, as in 0002 and 0003: no batch rebuild of ``api_keys``.
    op.add_column("api_keys", sa.Column("parent_id", sa.String(64), nullable=True))
    op.create_index(op.f("ix_api_keys_parent_id"), "api_keys", ["parent_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_api_keys_parent_id"), table_name="api_keys")
    op.drop_column("api_keys", "parent_id")
