"""Analysis candidates: the tempo and key readings an estimator considered, with confidences.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_SAMPLE_COLUMNS = ("bpm_candidates", "key_candidates")


def upgrade() -> None:
    """Add the two JSON columns (NULL for samples analysed before: read as no candidates)."""
    for name in NEW_SAMPLE_COLUMNS:
        op.add_column("samples", sa.Column(name, sa.JSON(), nullable=True))


def downgrade() -> None:
    """Remove them again."""
    # Plain ALTER ... DROP COLUMN (SQLite 3.35+): a batch rebuild would lose the FTS triggers.
    for name in reversed(NEW_SAMPLE_COLUMNS):
        op.drop_column("samples", name)
