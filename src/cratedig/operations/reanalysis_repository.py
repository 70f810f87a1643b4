"""The SQL of the re-analysis: which samples have a stored WAV to analyse, and the guarded
update that writes only the fields the analysis computes.

Functions take the caller's Session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, not_, or_, select, update
from sqlalchemy.orm import Session

from cratedig.models import Creator, Sample, SampleStatus
from cratedig.samples.corrections import analysed_column, analysis_update_values

# What the analysis computes, and so all a re-analysis may write.
ANALYSIS_FIELDS = (
    "bpm",
    "bpm_confidence",
    "key",
    "scale",
    "key_confidence",
    "bpm_candidates",
    "key_candidates",
)
# A sample whose pipeline is queued or running gets its analysis from that run.
IN_PIPELINE = (SampleStatus.PENDING, SampleStatus.PROCESSING)


@dataclass(frozen=True)
class StoredWav:
    """A sample's WAV as a re-analysis reads it, and the fields it had before."""

    id: uuid.UUID
    wav_key: str
    wav_bytes: int | None
    generation: int
    creator: str | None
    before: dict[str, Any]


def has_stored_wav() -> ColumnElement[bool]:
    """A WAV key in our storage (not an external URL) on a sample no pipeline is working on."""
    lowered = func.lower(Sample.wav_key)
    return and_(
        Sample.wav_key.is_not(None),
        not_(or_(lowered.like("http://%"), lowered.like("https://%"))),
        Sample.status.not_in(IN_PIPELINE),
    )


def samples_with_wav(
    session: Session, sample_id: uuid.UUID | None, only: Sequence[uuid.UUID] = ()
) -> list[uuid.UUID]:
    """Ids of samples with a stored WAV (oldest first), or just `sample_id` if it has one."""
    query = select(Sample.id).where(has_stored_wav()).order_by(Sample.created_at, Sample.id)
    if sample_id is not None:
        query = query.where(Sample.id == sample_id)
    if only:
        query = query.where(Sample.id.in_(list(only)))
    return list(session.scalars(query))


def stored_wav(session: Session, sample_id: uuid.UUID) -> StoredWav | None:
    """The sample's WAV and current analysis, if it still has a stored WAV to analyse."""
    # The analysis' own reading before: an admin's correction is not the analysis.
    fields = [analysed_column(name) for name in ANALYSIS_FIELDS]
    query = (
        select(Sample.wav_key, Sample.wav_bytes, Sample.generation, Creator.username, *fields)
        .outerjoin(Creator, Creator.id == Sample.creator_id)
        .where(Sample.id == sample_id, has_stored_wav())
    )
    row = session.execute(query).one_or_none()
    if row is None:
        return None
    before = dict(zip(ANALYSIS_FIELDS, row[4:], strict=True))
    return StoredWav(sample_id, row[0], row[1], row[2], row[3], before)


def store_analysis(session: Session, seen: StoredWav, values: dict[str, Any]) -> bool:
    """Write the analysis fields if the sample still serves the WAV that was analysed (same
    key and generation, no pipeline started since); False when it changed meanwhile."""
    unknown = set(values) - set(ANALYSIS_FIELDS)
    if unknown:
        raise ValueError(f"not analysis fields: {sorted(unknown)}")
    result = session.execute(
        update(Sample)
        .where(
            Sample.id == seen.id,
            Sample.wav_key == seen.wav_key,
            Sample.generation == seen.generation,
            Sample.status.not_in(IN_PIPELINE),
        )
        .values(**analysis_update_values(values))  # corrections stay shown
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount > 0
