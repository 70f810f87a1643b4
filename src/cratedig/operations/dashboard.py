"""The pipeline at a glance for operators: counts, what waits, runs, failed, and just finished."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from cratedig.models import Sample, SampleStatus, SampleStep
from cratedig.pipeline.tracking import STEPS, step_number


class QueueItem(BaseModel):
    """One sample as the dashboard lists it."""

    id: uuid.UUID
    title: str | None
    source_url: str
    status: SampleStatus
    step: str | None
    step_number: int | None
    step_count: int
    error_code: str | None
    error_message: str | None
    attempts: int
    processed_at: datetime | None
    duration_seconds: float | None  # first step start to publish, for the current generation


class PipelineOverview(BaseModel):
    """Counts per status and the latest samples of each kind."""

    counts: dict[str, int]
    pending: list[QueueItem]
    processing: list[QueueItem]
    failed: list[QueueItem]
    recent: list[QueueItem]


def pipeline_overview(session: Session, limit: int = 20) -> PipelineOverview:
    """The dashboard's data, in a handful of queries."""
    counts = session.execute(select(Sample.status, func.count()).group_by(Sample.status)).all()
    by_status = {status.value: 0 for status in SampleStatus} | {
        status.value: count for status, count in counts
    }

    def latest(status: SampleStatus, order: ColumnElement[Any]) -> list[Sample]:
        query = select(Sample).where(Sample.status == status).order_by(order).limit(limit)
        return list(session.scalars(query))

    recent = latest(SampleStatus.COMPLETED, Sample.processed_at.desc())
    durations = _durations(session, recent)
    return PipelineOverview(
        counts=by_status,
        pending=[_item(s) for s in latest(SampleStatus.PENDING, Sample.created_at.asc())],
        processing=[_item(s) for s in latest(SampleStatus.PROCESSING, Sample.updated_at.desc())],
        failed=[_item(s) for s in latest(SampleStatus.FAILED, Sample.updated_at.desc())],
        recent=[_item(s, durations.get(s.id)) for s in recent],
    )


def _durations(session: Session, samples: list[Sample]) -> dict[uuid.UUID, float]:
    if not samples:
        return {}
    rows = session.execute(
        select(
            SampleStep.sample_id,
            SampleStep.generation,
            func.min(SampleStep.started_at),
            func.max(SampleStep.finished_at),
        )
        .where(SampleStep.sample_id.in_([s.id for s in samples]))
        .group_by(SampleStep.sample_id, SampleStep.generation)
    ).all()
    generation = {s.id: s.generation for s in samples}
    return {
        sample_id: (finished - started).total_seconds()
        for sample_id, gen, started, finished in rows
        if gen == generation[sample_id] and started and finished
    }


def _item(sample: Sample, duration: float | None = None) -> QueueItem:
    number = sample.step_index or (step_number(sample.step) if sample.step in STEPS else None)
    return QueueItem(
        id=sample.id,
        title=sample.title,
        source_url=sample.source_url,
        status=sample.status,
        step=sample.step,
        step_number=number,
        step_count=len(STEPS),
        error_code=sample.error_code,
        error_message=sample.error_message,
        attempts=sample.attempts,
        processed_at=sample.processed_at,
        duration_seconds=duration,
    )
