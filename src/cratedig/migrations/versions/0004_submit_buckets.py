"""Submission token buckets shared by every API process.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create submit_buckets, indexed by last update for the sweep of refilled buckets."""
    op.create_table(
        "submit_buckets",
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("client", name="pk_submit_buckets"),
    )
    op.create_index("ix_submit_buckets_updated_at", "submit_buckets", ["updated_at"])


def downgrade() -> None:
    """Drop it."""
    op.drop_table("submit_buckets")
