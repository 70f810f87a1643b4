"""Sample corrections: an admin's BPM, key and scale beside the analysed ones.

`bpm`, `key` and `scale` keep holding what listings show and filter on (the correction when
there is one, else the analysis), so their indexes serve unchanged; `analysed_*` keep the
analysis' own reading and `corrected_*` the admin's (NULL: not corrected).

Revision ID: 0007
Revises: 0005 (re-chained onto 0006 when the beats migration lands)
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_SAMPLE_COLUMNS = (
    ("analysed_bpm", sa.Float()),
    ("analysed_key", sa.String(8)),
    ("analysed_scale", sa.String(16)),
    ("corrected_bpm", sa.Float()),
    ("corrected_key", sa.String(8)),
    ("corrected_scale", sa.String(16)),
)


def upgrade() -> None:
    """Add the columns; until now every shown value was the analysis' own."""
    for name, type_ in NEW_SAMPLE_COLUMNS:
        op.add_column("samples", sa.Column(name, type_, nullable=True))
    op.execute("UPDATE samples SET analysed_bpm = bpm, analysed_key = key, analysed_scale = scale")


def downgrade() -> None:
    """Show the analysed values again and remove the columns."""
    op.execute("UPDATE samples SET bpm = analysed_bpm, key = analysed_key, scale = analysed_scale")
    # Plain ALTER ... DROP COLUMN (SQLite 3.35+): a batch rebuild would lose the FTS triggers.
    for name, _ in reversed(NEW_SAMPLE_COLUMNS):
        op.drop_column("samples", name)
