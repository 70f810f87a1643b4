"""Operations as rows: what each run was asked, which samples or creators it covers, how each
went, and the live report the API and CLI show."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.orm import Session

from cratedig.models import Operation, OperationItem, Sample, utcnow
from cratedig.runtime import current_runtime

MAX_ERRORS_SHOWN = 100


class OperationKind(StrEnum):
    """The bulk operations."""

    REPROCESS = "reprocess"
    BACKFILL_HLS = "backfill_hls"
    MIGRATE_MEDIA = "migrate_media"
    CHECK_LINKS = "check_links"


class OperationStatus(StrEnum):
    """Where a run is."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class ItemState(StrEnum):
    """What became of one sample or creator."""

    PENDING = "pending"
    QUEUED = "queued"  # reprocess: its pipeline is enqueued
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class Subject(StrEnum):
    """What an item is."""

    SAMPLE = "sample"
    CREATOR = "creator"


class ItemCounts(BaseModel):
    """Items per state."""

    total: int = 0
    pending: int = 0
    queued: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0


class PipelineCounts(BaseModel):
    """Reprocess only: where the queued samples' pipelines are now."""

    queued: int = 0
    processing: int = 0
    completed: int = 0
    failed: int = 0
    superseded: int = 0  # reprocessed again since; that newer run counts elsewhere


class ItemOut(BaseModel):
    """One item with a problem."""

    subject_type: str
    subject_id: uuid.UUID
    state: str
    detail: str | None


class OperationOut(BaseModel):
    """An operation's request, state, counts and errors."""

    id: uuid.UUID
    kind: str
    status: str
    dry_run: bool
    origin: str
    params: dict[str, Any]
    message: str | None
    created_at: datetime
    finished_at: datetime | None
    items: ItemCounts
    pipeline: PipelineCounts | None
    errors: list[ItemOut]


def create_operation(
    kind: OperationKind,
    params: dict[str, Any],
    subjects: Sequence[tuple[Subject, uuid.UUID]],
    *,
    dry_run: bool = False,
    origin: str = "api",
) -> uuid.UUID:
    """Record a run and its items (one transaction, bulk insert); returns its id."""
    with current_runtime().transaction() as session:
        operation = Operation(
            kind=kind.value,
            status=OperationStatus.RUNNING.value,
            dry_run=dry_run,
            params=params,
            origin=origin,
            total=len(subjects),
        )
        session.add(operation)
        session.flush()
        if subjects:
            now = utcnow()
            session.execute(
                insert(OperationItem),
                [
                    {
                        "operation_id": operation.id,
                        "subject_type": kind_.value,
                        "subject_id": subject_id,
                        "position": position,
                        "state": ItemState.PENDING.value,
                        "updated_at": now,
                    }
                    for position, (kind_, subject_id) in enumerate(subjects)
                ],
            )
        return operation.id


def set_items(
    operation_id: uuid.UUID,
    subject_type: Subject,
    subject_ids: Iterable[uuid.UUID],
    state: ItemState,
    *,
    detail: str | None = None,
    generation: int | None = None,
) -> None:
    """Set the state (and detail, generation) of some items in one statement."""
    ids = list(subject_ids)
    if not ids:
        return
    values: dict[str, Any] = {"state": state.value, "detail": detail, "updated_at": utcnow()}
    if generation is not None:
        values["generation"] = generation
    with current_runtime().transaction() as session:
        session.execute(
            update(OperationItem)
            .where(
                OperationItem.operation_id == operation_id,
                OperationItem.subject_type == subject_type.value,
                OperationItem.subject_id.in_(ids),
            )
            .values(**values)
        )


def set_item(
    operation_id: uuid.UUID,
    subject_type: Subject,
    subject_id: uuid.UUID,
    state: ItemState,
    detail: str | None = None,
) -> None:
    """Set one item's state and detail."""
    set_items(operation_id, subject_type, [subject_id], state, detail=detail)


def pending_items(operation_id: uuid.UUID, subject_type: Subject) -> list[uuid.UUID]:
    """The items not yet handled, in their original order (a resumed run starts here)."""
    with current_runtime().transaction() as session:
        query = (
            select(OperationItem.subject_id)
            .where(
                OperationItem.operation_id == operation_id,
                OperationItem.subject_type == subject_type.value,
                OperationItem.state == ItemState.PENDING.value,
            )
            .order_by(OperationItem.position)
        )
        return list(session.scalars(query))


def finish_operation(
    operation_id: uuid.UUID,
    status: OperationStatus = OperationStatus.COMPLETED,
    message: str | None = None,
) -> None:
    """Mark a run finished, with a one-line summary."""
    with current_runtime().transaction() as session:
        operation = session.get(Operation, operation_id)
        if operation is None:
            return
        operation.status = status.value
        operation.message = message
        operation.finished_at = utcnow()


def operation_report(session: Session, operation_id: uuid.UUID) -> OperationOut | None:
    """The live report of one run."""
    operation = session.get(Operation, operation_id)
    if operation is None:
        return None
    return _report(session, operation, with_errors=True)


def recent_operations(session: Session, limit: int = 20) -> list[OperationOut]:
    """The newest runs first, with their counts (errors only in the single report)."""
    query = select(Operation).order_by(Operation.created_at.desc(), Operation.id).limit(limit)
    return [_report(session, op, with_errors=False) for op in session.scalars(query)]


def _report(session: Session, operation: Operation, *, with_errors: bool) -> OperationOut:
    counts = ItemCounts(total=operation.total)
    rows = session.execute(
        select(OperationItem.state, func.count())
        .where(OperationItem.operation_id == operation.id)
        .group_by(OperationItem.state)
    )
    for state, count in rows:
        setattr(counts, state, count)
    pipeline = None
    if operation.kind == OperationKind.REPROCESS.value and not operation.dry_run:
        pipeline = _pipeline_counts(session, operation.id)
    errors = _errors(session, operation) if with_errors else []
    return OperationOut(
        id=operation.id,
        kind=operation.kind,
        status=operation.status,
        dry_run=operation.dry_run,
        origin=operation.origin,
        params=operation.params,
        message=operation.message,
        created_at=operation.created_at,
        finished_at=operation.finished_at,
        items=counts,
        pipeline=pipeline,
        errors=errors,
    )


def _pipeline_counts(session: Session, operation_id: uuid.UUID) -> PipelineCounts:
    phase = case(
        (Sample.generation != OperationItem.generation, "superseded"),
        (Sample.status == "pending", "queued"),
        (and_(Sample.status == "completed", Sample.step.is_(None)), "queued"),  # kept media
        else_=Sample.status,
    )
    rows = session.execute(
        select(phase, func.count())
        .select_from(OperationItem)
        .join(Sample, Sample.id == OperationItem.subject_id)
        .where(
            OperationItem.operation_id == operation_id,
            OperationItem.state == ItemState.QUEUED.value,
        )
        .group_by(phase)
    )
    counts = PipelineCounts()
    for name, count in rows:
        setattr(counts, str(name), count)
    return counts


def _errors(session: Session, operation: Operation) -> list[ItemOut]:
    failed_items = session.scalars(
        select(OperationItem)
        .where(
            OperationItem.operation_id == operation.id,
            OperationItem.state == ItemState.FAILED.value,
        )
        .order_by(OperationItem.position)
        .limit(MAX_ERRORS_SHOWN)
    )
    errors = [
        ItemOut(
            subject_type=i.subject_type, subject_id=i.subject_id, state=i.state, detail=i.detail
        )
        for i in failed_items
    ]
    if operation.kind == OperationKind.REPROCESS.value and len(errors) < MAX_ERRORS_SHOWN:
        failed_runs = session.execute(
            select(Sample.id, Sample.step, Sample.error_code, Sample.error_message)
            .join(OperationItem, OperationItem.subject_id == Sample.id)
            .where(
                OperationItem.operation_id == operation.id,
                OperationItem.state == ItemState.QUEUED.value,
                Sample.generation == OperationItem.generation,
                Sample.status == "failed",
            )
            .order_by(OperationItem.position)
            .limit(MAX_ERRORS_SHOWN - len(errors))
        )
        errors += [
            ItemOut(
                subject_type=Subject.SAMPLE.value,
                subject_id=sample_id,
                state="failed",
                detail=f"{step}: {code}: {message}",
            )
            for sample_id, step, code, message in failed_runs
        ]
    return errors
