"""TikTok fields: save count, the sound's album and originality, region, post type, the
origin cover, and the shared rate-limit table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_SAMPLE_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("save_count", sa.BigInteger()),
    ("sound_album", sa.Text()),
    ("sound_is_original", sa.Boolean()),
    ("region", sa.String(8)),
    ("post_type", sa.String(16)),
    ("origin_cover_key", sa.String(512)),
    ("origin_cover_bytes", sa.BigInteger()),
)


def upgrade() -> None:
    """Add the columns (a plain ALTER on both databases) and the table."""
    for name, kind in NEW_SAMPLE_COLUMNS:
        op.add_column("samples", sa.Column(name, kind, nullable=True))
    op.create_table(
        "rate_limits",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_rate_limits"),
    )


def downgrade() -> None:
    """Remove them again."""
    op.drop_table("rate_limits")
    # Plain ALTER ... DROP COLUMN (SQLite 3.35+): a batch rebuild would lose the FTS triggers.
    for name, _ in reversed(NEW_SAMPLE_COLUMNS):
        op.drop_column("samples", name)
