"""All SQL about operation rows: record a run and its items, their outcomes, the reports.

Functions take the caller's Session and never commit: the route, the DBOS step or the command
owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from cratedig.models import Operation, OperationItem, Sample, utcnow
from cratedig.operations.schemas import ItemCounts, ItemOut, OperationOut, PipelineCounts
from cratedig.operations.states import Item, ItemState, OperationStatus, Outcome, Subject

MAX_ERRORS_SHOWN = 100
PIPELINE_KIND = "reprocess"  # the kind whose items are pipelines, reported as such


def create_operation(
    session: Session,
    kind: str,
    params: dict[str, Any],
    items: Sequence[Item],
    *,
    dry_run: bool,
    origin: str,
) -> uuid.UUID:
    """Record a run and its items (pending; bulk insert); returns its id."""
    operation = Operation(
        kind=kind,
        status=OperationStatus.RUNNING.value,
        dry_run=dry_run,
        params=params,
        origin=origin,
        total=len(items),
    )
    session.add(operation)
    session.flush()
    if items:
        now = utcnow()
        session.execute(
            insert(OperationItem),
            [
                {
                    "operation_id": operation.id,
                    "subject_type": item.subject.value,
                    "subject_id": item.id,
                    "position": position,
                    "state": ItemState.PENDING.value,
                    "detail": item.reason,
                    "updated_at": now,
                }
                for position, item in enumerate(items)
            ],
        )
    return operation.id


def get_operation(session: Session, operation_id: uuid.UUID) -> Operation | None:
    """The run's row."""
    return session.get(Operation, operation_id)


def pending_items(session: Session, operation_id: uuid.UUID) -> list[Item]:
    """The items not yet handled, in their original order (a resumed run starts here)."""
    query = (
        select(OperationItem.subject_type, OperationItem.subject_id, OperationItem.detail)
        .where(
            OperationItem.operation_id == operation_id,
            OperationItem.state == ItemState.PENDING.value,
        )
        .order_by(OperationItem.position)
    )
    return [Item(Subject(kind), sid, detail) for kind, sid, detail in session.execute(query)]


def record_outcomes(
    session: Session, operation_id: uuid.UUID, outcomes: Sequence[tuple[Item, Outcome]]
) -> None:
    """Write items' states, details (and generations) in one statement."""
    if not outcomes:
        return
    now = utcnow()
    rows = []
    for item, outcome in outcomes:
        row: dict[str, Any] = {
            "operation_id": operation_id,
            "subject_type": item.subject.value,
            "subject_id": item.id,
            "state": outcome.state.value,
            "detail": outcome.detail,
            "updated_at": now,
        }
        if outcome.generation is not None:
            row["generation"] = outcome.generation
        rows.append(row)
    for with_generation in (True, False):  # one executemany needs one set of columns
        batch = [row for row in rows if ("generation" in row) is with_generation]
        if batch:
            session.execute(update(OperationItem), batch)


def item_generations(
    session: Session, operation_id: uuid.UUID, sample_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The generations already given to these items by this run (a resumed reprocess)."""
    query = select(OperationItem.subject_id, OperationItem.generation).where(
        OperationItem.operation_id == operation_id,
        OperationItem.subject_id.in_(list(sample_ids)),
        OperationItem.generation.is_not(None),
    )
    return {sample_id: generation or 0 for sample_id, generation in session.execute(query)}


def set_item_generations(
    session: Session, operation_id: uuid.UUID, generations: dict[uuid.UUID, int]
) -> None:
    """Note the generation each item's pipeline runs (with the bump, in its transaction)."""
    if generations:
        session.execute(
            update(OperationItem),
            [
                {
                    "operation_id": operation_id,
                    "subject_type": Subject.SAMPLE.value,
                    "subject_id": sample_id,
                    "generation": generation,
                }
                for sample_id, generation in generations.items()
            ],
        )


def items_in_state(
    session: Session,
    operation_id: uuid.UUID,
    state: ItemState,
    *,
    subject: Subject = Subject.SAMPLE,
    detail_prefix: str | None = None,
) -> list[uuid.UUID]:
    """The run's items in `state` (and with a detail starting so), in its order."""
    query = select(OperationItem.subject_id).where(
        OperationItem.operation_id == operation_id,
        OperationItem.subject_type == subject.value,
        OperationItem.state == state.value,
    )
    if detail_prefix is not None:
        query = query.where(OperationItem.detail.like(f"{detail_prefix}%"))
    return list(session.scalars(query.order_by(OperationItem.position)))


def finish_operation(
    session: Session,
    operation_id: uuid.UUID,
    status: OperationStatus = OperationStatus.COMPLETED,
    message: str | None = None,
) -> None:
    """Mark a run finished, with a one-line summary."""
    operation = session.get(Operation, operation_id)
    if operation is not None:
        operation.status = status.value
        operation.message = message
        operation.finished_at = utcnow()


def operation_report(session: Session, operation_id: uuid.UUID) -> OperationOut | None:
    """The live report of one run."""
    operation = session.get(Operation, operation_id)
    if operation is None:
        return None
    return _report(session, operation, with_errors=True)


def recent_operations(
    session: Session, limit: int = 20, after: tuple[datetime, uuid.UUID] | None = None
) -> list[OperationOut]:
    """The newest runs first, from just past `after` (created_at, id) if given, with their
    counts (errors only in the single report)."""
    query = select(Operation).order_by(Operation.created_at.desc(), Operation.id).limit(limit)
    if after is not None:
        created_at, ident = after
        query = query.where(
            or_(
                Operation.created_at < created_at,
                and_(Operation.created_at == created_at, Operation.id > ident),
            )
        )
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
    pipelines = operation.kind == PIPELINE_KIND and not operation.dry_run
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
        pipeline=_pipeline_counts(session, operation.id) if pipelines else None,
        errors=_errors(session, operation, pipelines) if with_errors else [],
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


def _errors(session: Session, operation: Operation, pipelines: bool) -> list[ItemOut]:
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
    if pipelines and len(errors) < MAX_ERRORS_SHOWN:
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
