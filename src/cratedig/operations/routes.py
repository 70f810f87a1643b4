"""The operations API: reprocess, HLS backfill, media migration, link check; their reports.

Every route here needs the admin token. Starting an operation records it with its items and
queues it for a worker; the response comes at once, and `GET /operations/{id}` follows it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlalchemy import select

from cratedig.deps import AdminDep, SessionDep
from cratedig.errors import ApiError, error_responses
from cratedig.models import OperationItem, Sample, SampleStatus
from cratedig.operations import reprocess
from cratedig.operations.dashboard import PipelineOverview, pipeline_overview
from cratedig.operations.runner import enqueue_operation
from cratedig.operations.tracking import (
    OperationOut,
    Subject,
    finish_operation,
    operation_report,
    recent_operations,
)

# Every route needs the admin token; a JSON body can be malformed or too large.
router = APIRouter(prefix="/api/v1", tags=["operations"], responses=error_responses(401, 403, 422))
WITH_BODY = error_responses(400, 413)
DRY_RUN_SHOWN = 1000


# Request bodies are strict: unknown fields are refused, and `true` is not a number nor
# "yes" a boolean (pydantic's lax mode would take both).
class ReprocessBody(BaseModel):
    """The reference's request body; every field optional (`{}` means all samples)."""

    model_config = ConfigDict(extra="forbid")

    filter_status: SampleStatus | None = None
    limit: StrictInt | None = Field(None, ge=1, le=1_000_000)
    skip_reset: StrictBool = False
    dry_run: StrictBool = False
    broken_links_only: StrictBool = False


class BackfillBody(BaseModel):
    """HLS backfill: which samples, and whether only to list them."""

    model_config = ConfigDict(extra="forbid")

    limit: StrictInt | None = Field(None, ge=1, le=1_000_000)
    dry_run: StrictBool = False
    sample_id: uuid.UUID | None = None
    batch_size: StrictInt = Field(1, ge=1, le=16)


class MigrateBody(BaseModel):
    """Media migration: how many, and whether only to list them."""

    model_config = ConfigDict(extra="forbid")

    limit: StrictInt | None = Field(None, ge=1, le=1_000_000)
    dry_run: StrictBool = False


class CheckLinksBody(BaseModel):
    """Link check: which samples, and whether to reprocess the broken ones."""

    model_config = ConfigDict(extra="forbid")

    status: SampleStatus | None = None
    limit: StrictInt | None = Field(None, ge=1, le=1_000_000)
    repair: StrictBool = False


class DryRunItem(BaseModel):
    """A sample a dry run would process, and why."""

    id: uuid.UUID
    source_url: str | None = None
    creator: str | None = None
    status: str | None = None
    reason: str | None = None


class OperationStarted(BaseModel):
    """The reference's response, plus the operation to follow."""

    message: str
    total_samples: int
    status: Literal["started", "dry_run", "completed"]
    operation_id: uuid.UUID | None = None
    skipped: int = 0
    samples: list[DryRunItem] | None = None


@router.post("/samples/reprocess", response_model=OperationStarted, responses=WITH_BODY)
def reprocess_samples(
    body: ReprocessBody, _admin: AdminDep, session: SessionDep
) -> OperationStarted:
    """Reprocess samples through the full pipeline (admin)."""
    request = reprocess.ReprocessRequest(**body.model_dump())
    session.rollback()  # read nothing here: on SQLite an open transaction holds the write lock
    selection = reprocess.choose_samples(request)
    total, skipped = len(selection.candidates), len(selection.skipped)
    if total == 0:
        return OperationStarted(
            message=f"No samples to reprocess ({skipped} skipped).",
            total_samples=0,
            status="completed",
            skipped=skipped,
        )
    operation_id = reprocess.start_reprocess(selection, request, origin="api")
    if request.dry_run:
        finish_operation(operation_id, message=f"dry run: {total} samples would be reprocessed")
        items = [DryRunItem(**c.__dict__) for c in selection.candidates[:DRY_RUN_SHOWN]]
        return OperationStarted(
            message=f"Dry run: {total} samples would be reprocessed. Nothing was changed.",
            total_samples=total,
            status="dry_run",
            operation_id=operation_id,
            skipped=skipped,
            samples=items,
        )
    enqueue_operation(operation_id)
    return OperationStarted(
        message=(
            f"Started reprocessing {total} samples in the background. "
            f"Follow it at /api/v1/operations/{operation_id}."
        ),
        total_samples=total,
        status="started",
        operation_id=operation_id,
        skipped=skipped,
    )


@router.post("/admin/backfill-hls", response_model=OperationStarted, responses=WITH_BODY)
def backfill_hls(body: BackfillBody, _admin: AdminDep, session: SessionDep) -> OperationStarted:
    """Add HLS streams to completed samples that only have an MP3 (admin)."""
    from cratedig.operations import backfill_hls as op

    request = op.BackfillRequest(**body.model_dump())
    operation_id, ids = op.start_backfill(request, origin="api")
    return _started(session, operation_id, ids, request.dry_run, "HLS backfill of")


@router.post("/admin/migrate-media", response_model=OperationStarted, responses=WITH_BODY)
def migrate_media(body: MigrateBody, _admin: AdminDep, session: SessionDep) -> OperationStarted:
    """Re-host media still on external hosts (TikTok's CDN) in our storage (admin)."""
    from cratedig.operations import migrate_media as op

    request = op.MigrateRequest(**body.model_dump())
    operation_id, count = op.start_migration(request, origin="api")
    sample_ids = _sample_items(session, operation_id)
    session.rollback()  # end the read: on SQLite it holds the lock finish_operation needs
    return _started(session, operation_id, sample_ids, request.dry_run, "media migration of", count)


@router.post("/admin/check-links", response_model=OperationStarted, responses=WITH_BODY)
def check_links(body: CheckLinksBody, _admin: AdminDep, session: SessionDep) -> OperationStarted:
    """Check every artifact of the chosen samples; with `repair`, reprocess the broken (admin)."""
    from cratedig.operations import links as op

    request = op.CheckLinksRequest(**body.model_dump())
    operation_id, ids = op.start_check(request, origin="api")
    return _started(session, operation_id, ids, False, "link check of")


@router.post(
    "/samples/{sample_id}/retry", response_model=OperationStarted, responses=error_responses(404)
)
def retry_sample(sample_id: uuid.UUID, _admin: AdminDep, session: SessionDep) -> OperationStarted:
    """Run one sample through the pipeline again, as a one-sample reprocess (admin)."""
    sample = session.get(Sample, sample_id)
    if sample is None:
        raise ApiError(404, "not_found", f"no sample {sample_id}", "sample_id")
    session.rollback()
    result = reprocess.reprocess_samples([sample_id], origin="api", out=lambda _line: None)
    return OperationStarted(
        message=f"Reprocessing sample {sample_id}.",
        total_samples=1,
        status="started",
        operation_id=result.operation_id,
    )


@router.get("/pipeline", response_model=PipelineOverview)
def pipeline(_admin: AdminDep, session: SessionDep) -> PipelineOverview:
    """Counts per status, and the latest pending, processing, failed and completed (admin)."""
    return pipeline_overview(session)


@router.get("/operations", response_model=list[OperationOut])
def list_operations(
    _admin: AdminDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[OperationOut]:
    """Recent operations, newest first (admin)."""
    return recent_operations(session, limit)


@router.get(
    "/operations/{operation_id}", response_model=OperationOut, responses=error_responses(404)
)
def get_operation(operation_id: uuid.UUID, _admin: AdminDep, session: SessionDep) -> OperationOut:
    """One operation: request, live counts (and pipelines, for a reprocess), errors (admin)."""
    report = operation_report(session, operation_id)
    if report is None:
        raise ApiError(404, "not_found", f"no operation {operation_id}", "operation_id")
    return report


def _started(
    session: SessionDep,
    operation_id: uuid.UUID,
    sample_ids: list[uuid.UUID],
    dry_run: bool,
    what: str,
    subjects: int | None = None,
) -> OperationStarted:
    total = len(sample_ids)
    count = subjects if subjects is not None else total
    if count == 0:
        finish_operation(operation_id, message="nothing to do")
        return OperationStarted(
            message=f"Nothing to do: no samples need the {what.split(' of')[0]}.",
            total_samples=0,
            status="completed",
            operation_id=operation_id,
        )
    if dry_run:
        finish_operation(operation_id, message=f"dry run: {count} items")
        return OperationStarted(
            message=f"Dry run: {what} {total} samples would run. Nothing was changed.",
            total_samples=total,
            status="dry_run",
            operation_id=operation_id,
            samples=_describe(session, sample_ids[:DRY_RUN_SHOWN]),
        )
    enqueue_operation(operation_id)
    return OperationStarted(
        message=(
            f"Started {what} {total} samples in the background. "
            f"Follow it at /api/v1/operations/{operation_id}."
        ),
        total_samples=total,
        status="started",
        operation_id=operation_id,
    )


def _describe(session: SessionDep, sample_ids: list[uuid.UUID]) -> list[DryRunItem]:
    found = {s.id: s for s in session.scalars(select(Sample).where(Sample.id.in_(sample_ids)))}
    items = []
    for sample_id in sample_ids:
        sample = found.get(sample_id)
        if sample is None:
            items.append(DryRunItem(id=sample_id))
            continue
        creator = sample.creator.username if sample.creator is not None else None
        items.append(
            DryRunItem(
                id=sample_id,
                source_url=sample.source_url,
                creator=creator,
                status=sample.status.value,
            )
        )
    return items


def _sample_items(session: SessionDep, operation_id: uuid.UUID) -> list[uuid.UUID]:
    query = (
        select(OperationItem.subject_id)
        .where(
            OperationItem.operation_id == operation_id,
            OperationItem.subject_type == Subject.SAMPLE.value,
        )
        .order_by(OperationItem.position)
    )
    return list(session.scalars(query))
