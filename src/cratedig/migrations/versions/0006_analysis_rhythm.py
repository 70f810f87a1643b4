"""Analysis rhythm: beat and downbeat times, beats per bar and the seamless loop points.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_JSON_COLUMNS = ("beats", "downbeats", "loops")


def upgrade() -> None:
    """Add the columns (NULL for samples analysed before: read as no beats, no loops)."""
    for name in NEW_JSON_COLUMNS:
        op.add_column("samples", sa.Column(name, sa.JSON(), nullable=True))
    op.add_column("samples", sa.Column("beats_per_bar", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Remove them again."""
    # Plain ALTER ... DROP COLUMN (SQLite 3.35+): a batch rebuild would lose the FTS triggers.
    op.drop_column("samples", "beats_per_bar")
    for name in reversed(NEW_JSON_COLUMNS):
        op.drop_column("samples", name)
