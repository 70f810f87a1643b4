"""All SQL the operation kinds run on samples and creators: what to choose, what to load, and
the guarded updates that make a change only if the row still is as the kind saw it.

Functions take the caller's Session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from cratedig.artifacts import CREATOR_AVATARS, REHOSTED_ARTIFACTS, SAMPLE_ARTIFACTS, Artifact
from cratedig.models import Creator, Sample, SampleStatus

WALK_CHUNK = 1000  # sample rows read per query when walking the library


@dataclass(frozen=True)
class SampleLine:
    """A sample as an operation lists it."""

    id: uuid.UUID
    source_url: str
    creator: str | None
    status: SampleStatus
    generation: int


def walk_samples(
    session: Session, status: SampleStatus | None, only: Sequence[uuid.UUID] = ()
) -> Iterator[SampleLine]:
    """Samples (oldest first), in the status asked (any when None), read in chunks."""
    base = (
        select(
            Sample.id,
            Sample.source_url,
            Creator.username,
            Sample.status,
            Sample.generation,
            Sample.created_at,
        )
        .outerjoin(Creator, Creator.id == Sample.creator_id)
        .order_by(Sample.created_at, Sample.id)
        .limit(WALK_CHUNK)
    )
    if status is not None:
        base = base.where(Sample.status == status)
    if only:
        base = base.where(Sample.id.in_(list(only)))
    after: tuple[Any, uuid.UUID] | None = None
    while True:
        query = base
        if after is not None:
            created, ident = after
            query = query.where(
                or_(
                    Sample.created_at > created,
                    and_(Sample.created_at == created, Sample.id > ident),
                )
            )
        rows = session.execute(query).all()
        for row in rows:
            yield SampleLine(row[0], row[1], row[2], row[3], row[4])
        if len(rows) < WALK_CHUNK:
            return
        after = (rows[-1][5], rows[-1][0])


def sample_ids(session: Session, status: SampleStatus | None, limit: int | None) -> list[uuid.UUID]:
    """Sample ids (oldest first) in the status asked (any when None), up to the limit."""
    query = select(Sample.id).order_by(Sample.created_at, Sample.id)
    if status is not None:
        query = query.where(Sample.status == status)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def sample_lines(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, SampleLine]:
    """These samples as listed, by id (the missing ones left out)."""
    query = (
        select(Sample.id, Sample.source_url, Creator.username, Sample.status, Sample.generation)
        .outerjoin(Creator, Creator.id == Sample.creator_id)
        .where(Sample.id.in_(list(ids)))
    )
    return {row[0]: SampleLine(*row) for row in session.execute(query)}


def bump_generations(
    session: Session, ids: Sequence[uuid.UUID], *, reset: bool
) -> dict[uuid.UUID, tuple[SampleLine, int]]:
    """Give these samples a new generation, with no step (and with `reset`, pending without an
    error); each one as it was before, and its new generation."""
    before = sample_lines(session, ids)
    if not before:
        return {}
    # No step, even when the status is kept: the operation's report tells a `completed` row
    # still waiting for its new run (no step yet) from one the new run published.
    values: dict[str, Any] = {"generation": Sample.generation + 1, "step": None}
    values["step_index"] = None
    if reset:
        values |= {"status": SampleStatus.PENDING, "error_code": None, "error_message": None}
    session.execute(
        update(Sample)
        .where(Sample.id.in_(list(before)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return {sample_id: (line, line.generation + 1) for sample_id, line in before.items()}


def sample_with_creator(session: Session, sample_id: uuid.UUID) -> Sample | None:
    """One sample and its creator."""
    query = select(Sample).options(selectinload(Sample.creator)).where(Sample.id == sample_id)
    return session.scalar(query)


def samples_with_creators(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Sample]:
    """These samples and their creators, by id."""
    query = select(Sample).options(selectinload(Sample.creator)).where(Sample.id.in_(list(ids)))
    return {sample.id: sample for sample in session.scalars(query)}


# --- HLS backfill -------------------------------------------------------------------------------


def hls_candidates(
    session: Session, sample_id: uuid.UUID | None
) -> list[tuple[uuid.UUID, str | None]]:
    """Completed samples with an MP3 (oldest first) and their HLS key (None: no stream)."""
    query = (
        select(Sample.id, Sample.hls_key)
        .where(Sample.status == SampleStatus.COMPLETED, Sample.mp3_key.is_not(None))
        .order_by(Sample.created_at, Sample.id)
    )
    if sample_id is not None:
        query = query.where(Sample.id == sample_id)
    return [(row[0], row[1]) for row in session.execute(query)]


def point_at_stream(
    session: Session,
    sample_id: uuid.UUID,
    *,
    mp3_key: str,
    old_hls_key: str | None,
    hls_key: str,
    hls_bytes: int,
) -> bool:
    """Point the sample at its new stream, unless it changed meanwhile (HLS or a new MP3)."""
    same_hls = Sample.hls_key.is_(None) if old_hls_key is None else Sample.hls_key == old_hls_key
    result = session.execute(
        update(Sample)
        .where(Sample.id == sample_id, same_hls, Sample.mp3_key == mp3_key)
        .values(hls_key=hls_key, hls_bytes=hls_bytes)
    )
    return cast("CursorResult[Any]", result).rowcount > 0


# --- media migration ----------------------------------------------------------------------------


def _is_external_sql(column: Any) -> ColumnElement[bool]:
    lowered = func.lower(column)
    return or_(lowered.like("http://%"), lowered.like("https://%"))


def subjects_with_external_media(
    session: Session, limit: int | None
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Samples and creators (oldest first) with at least one external media value; the limit
    applies to each."""
    samples: Select[Any] = (
        select(Sample.id)
        .where(or_(*(_is_external_sql(getattr(Sample, a.column)) for a in REHOSTED_ARTIFACTS)))
        .order_by(Sample.created_at, Sample.id)
    )
    creators: Select[Any] = (
        select(Creator.id)
        .where(or_(*(_is_external_sql(getattr(Creator, a.column)) for a in CREATOR_AVATARS)))
        .order_by(Creator.created_at, Creator.id)
    )
    if limit is not None:
        samples, creators = samples.limit(limit), creators.limit(limit)
    return list(session.scalars(samples)), list(session.scalars(creators))


def point_column_at(
    session: Session,
    model: type[Sample] | type[Creator],
    subject_id: uuid.UUID,
    artifact: Artifact,
    old_value: str,
    key: str,
    size: int,
) -> bool:
    """Point the artifact's column at `key` (and record its size when the artifact has a size
    column) if the column still holds the value the kind saw."""
    values: dict[str, Any] = {artifact.column: key}
    if artifact.bytes_column is not None:
        values[artifact.bytes_column] = size
    result = session.execute(
        update(model)
        .where(model.id == subject_id, getattr(model, artifact.column) == old_value)
        .values(**values)
    )
    return cast("CursorResult[Any]", result).rowcount > 0


# --- link check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArtifactRow:
    """A sample's artifact values (key, external URL or None) by artifact name."""

    id: uuid.UUID
    status: SampleStatus
    creator: str | None
    values: dict[str, str | None]


def artifact_rows(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ArtifactRow]:
    """These samples' artifact values, by id (the missing ones left out)."""
    columns = [getattr(Sample, artifact.column) for artifact in SAMPLE_ARTIFACTS]
    names = [artifact.name for artifact in SAMPLE_ARTIFACTS]
    query = (
        select(Sample.id, Sample.status, Creator.username, *columns)
        .outerjoin(Creator, Creator.id == Sample.creator_id)
        .where(Sample.id.in_(list(ids)))
    )
    return {
        row[0]: ArtifactRow(
            row[0], SampleStatus(row[1]), row[2], dict(zip(names, row[3:], strict=True))
        )
        for row in session.execute(query)
    }
