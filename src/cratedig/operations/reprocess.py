"""Reprocess samples through the full pipeline: choose them, then queue them in bulk.

Each sample gets a new generation; its pipeline stages everything afresh and publishes only
when all of it is ready, so the working media stay served until then.
"""

from __future__ import annotations

import argparse
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dbos import DBOS
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from cratedig.models import OperationItem, Sample, SampleStatus
from cratedig.operations.console import RULE, Output, confirm, operation_runtime, positive_int, say
from cratedig.operations.tracking import (
    ItemState,
    OperationKind,
    OperationStatus,
    Subject,
    create_operation,
    finish_operation,
    pending_items,
    set_items,
)
from cratedig.pipeline.queue import QUEUE, enqueue_samples, workflow_id
from cratedig.runtime import current_runtime

log = logging.getLogger(__name__)
CHUNK = 500  # samples reset per transaction, then queued


@dataclass(frozen=True)
class ReprocessRequest:
    """Which samples to reprocess and how (the API body and the script's flags)."""

    filter_status: SampleStatus | None = None
    limit: int | None = None
    skip_reset: bool = False
    dry_run: bool = False
    broken_links_only: bool = False


@dataclass(frozen=True)
class Candidate:
    """A sample that would be reprocessed, and why."""

    id: uuid.UUID
    source_url: str
    creator: str | None
    status: str
    reason: str


@dataclass
class Selection:
    """The samples to process, and those left out with their reason."""

    candidates: list[Candidate] = field(default_factory=list)
    skipped: list[tuple[uuid.UUID, str]] = field(default_factory=list)


@dataclass
class ReprocessResult:
    """What a trigger did."""

    operation_id: uuid.UUID | None
    total: int
    triggered: int = 0
    failed: int = 0
    skipped: int = 0


def choose_samples(request: ReprocessRequest) -> Selection:
    """The samples to reprocess (oldest first), after every filter and the limit; the link
    check runs after the database transaction, which it must not hold open."""
    with current_runtime().transaction() as session:
        selection = select_candidates(
            session, replace(request, broken_links_only=False, limit=None)
        )
    if request.broken_links_only:
        selection.candidates = _broken_only(selection.candidates)
    if request.limit is not None:
        selection.candidates = selection.candidates[: request.limit]
    return selection


def select_candidates(session: Session, request: ReprocessRequest) -> Selection:
    """The samples to reprocess (oldest first), after every filter and the limit (the link
    check included: use `choose_samples` where a session is open, such as in a request)."""
    query = (
        select(Sample).options(selectinload(Sample.creator)).order_by(Sample.created_at, Sample.id)
    )
    if request.filter_status is not None:
        query = query.where(Sample.status == request.filter_status)
    if request.limit is not None and not request.broken_links_only:
        # Skipped rows must not eat the limit: over-fetch a little, cut after filtering.
        query = query.limit(request.limit * 2 + 100)
    rows = list(session.scalars(query))
    active = _active_workflows()
    selection = Selection()
    for sample in rows:
        if not sample.source_url:
            selection.skipped.append((sample.id, "no source URL"))
        elif workflow_id(sample.id, sample.generation) in active:
            selection.skipped.append((sample.id, "already queued or processing"))
        else:
            selection.candidates.append(_candidate(sample, f"status {sample.status.value}"))
    if request.broken_links_only:
        selection.candidates = _broken_only(selection.candidates)
    if request.limit is not None:
        selection.candidates = selection.candidates[: request.limit]
    return selection


def start_reprocess(selection: Selection, request: ReprocessRequest, origin: str) -> uuid.UUID:
    """Record the run with its samples (pending)."""
    subjects = [(Subject.SAMPLE, c.id) for c in selection.candidates]
    params = {
        "filter_status": request.filter_status.value if request.filter_status else None,
        "limit": request.limit,
        "skip_reset": request.skip_reset,
        "broken_links_only": request.broken_links_only,
        "skipped": len(selection.skipped),
    }
    return create_operation(
        OperationKind.REPROCESS, params, subjects, dry_run=request.dry_run, origin=origin
    )


def run_reprocess(operation_id: uuid.UUID, skip_reset: bool, out: Output = say) -> ReprocessResult:
    """Reset and queue the run's pending samples in chunks (a rerun resumes where it stopped)."""
    ids = pending_items(operation_id, Subject.SAMPLE)
    result = ReprocessResult(operation_id, total=len(ids))
    for start in range(0, len(ids), CHUNK):
        _trigger_chunk(operation_id, ids[start : start + CHUNK], skip_reset, start, result, out)
    message = f"queued {result.triggered} of {result.total} samples; {result.failed} failed"
    finish_operation(operation_id, OperationStatus.COMPLETED, message)
    return result


def reprocess_samples(
    sample_ids: Sequence[uuid.UUID],
    *,
    skip_reset: bool = False,
    origin: str = "cli",
    out: Output = say,
    params: dict[str, Any] | None = None,
) -> ReprocessResult:
    """Reprocess exactly these samples (e.g. those the link check found broken); a sample whose
    pipeline is already queued or running is left to it."""
    active = _active_workflows()
    with current_runtime().transaction() as session:
        rows = session.execute(
            select(Sample.id, Sample.generation).where(Sample.id.in_(list(sample_ids)))
        ).all()
    busy = {sample_id for sample_id, gen in rows if workflow_id(sample_id, gen) in active}
    sample_ids = [sample_id for sample_id in sample_ids if sample_id not in busy]
    operation_id = create_operation(
        OperationKind.REPROCESS,
        {"sample_ids": len(sample_ids), "skip_reset": skip_reset, **(params or {})},
        [(Subject.SAMPLE, sample_id) for sample_id in sample_ids],
        origin=origin,
    )
    result = run_reprocess(operation_id, skip_reset, out)
    result.skipped += len(busy)
    return result


def _trigger_chunk(
    operation_id: uuid.UUID,
    ids: list[uuid.UUID],
    skip_reset: bool,
    offset: int,
    result: ReprocessResult,
    out: Output,
) -> None:
    """One transaction bumps the generations (and resets), then each pipeline is queued."""
    with current_runtime().transaction() as session:
        # No step, even when the status is kept: the operation's report tells a `completed` row
        # still waiting for its new run (no step yet) from one the new run published.
        values: dict[str, Any] = {"generation": Sample.generation + 1}
        values |= {"step": None, "step_index": None}
        if not skip_reset:
            values |= {"status": SampleStatus.PENDING, "error_code": None, "error_message": None}
        session.execute(update(Sample).where(Sample.id.in_(ids)).values(**values))
        rows = session.scalars(
            select(Sample).options(selectinload(Sample.creator)).where(Sample.id.in_(ids))
        ).all()
        by_id = {sample.id: sample for sample in rows}
        session.execute(
            update(OperationItem),
            [
                {
                    "operation_id": operation_id,
                    "subject_type": Subject.SAMPLE.value,
                    "subject_id": sample.id,
                    "generation": sample.generation,
                }
                for sample in rows
            ],
        )
    gone = [sample_id for sample_id in ids if sample_id not in by_id]
    set_items(operation_id, Subject.SAMPLE, gone, ItemState.SKIPPED, detail="deleted meanwhile")
    result.skipped += len(gone)
    present = [by_id[sample_id] for sample_id in ids if sample_id in by_id]
    present_ids = [sample.id for sample in present]
    try:
        enqueue_samples([(s.id, s.generation) for s in present], _system_database_url())
    except Exception as exc:  # a queue outage: this chunk fails; rerunning the operation resumes
        log.warning("could not queue %d samples: %s", len(present), exc)
        set_items(operation_id, Subject.SAMPLE, present_ids, ItemState.FAILED, detail=str(exc))
        for sample in present:
            out(f"  ✗ Could not trigger the pipeline for sample {sample.id}: {exc}")
        result.failed += len(present)
        return
    set_items(operation_id, Subject.SAMPLE, present_ids, ItemState.QUEUED)
    for index, sample in enumerate(present, start=offset + 1):
        _say_sample(out, index, result.total, sample, skip_reset)
        out(f"  ✓ Pipeline triggered for sample {sample.id}")
    result.triggered += len(present)


def _system_database_url() -> str:
    return current_runtime().settings.system_database_url


def _say_sample(out: Output, index: int, total: int, sample: Sample, skip_reset: bool) -> None:
    out(f"\n[{index}/{total}] Processing sample {sample.id}")
    out(f"  URL: {sample.source_url}")
    out(f"  Creator: @{sample.creator.username}" if sample.creator else "  Creator: (unknown)")
    out(f"  Current status: {sample.status.value}")
    if not skip_reset:
        out(f"  Reset sample {sample.id} to pending")


def _candidate(sample: Sample, reason: str) -> Candidate:
    creator = sample.creator.username if sample.creator else None
    return Candidate(sample.id, sample.source_url, creator, sample.status.value, reason)


def _broken_only(candidates: list[Candidate]) -> list[Candidate]:
    from cratedig.operations.links import check_samples

    broken = check_samples([c.id for c in candidates])
    return [
        Candidate(
            c.id,
            c.source_url,
            c.creator,
            c.status,
            "; ".join(f"{b.artifact}: {b.reason}" for b in broken[c.id]),
        )
        for c in candidates
        if c.id in broken
    ]


def _active_workflows() -> set[str]:
    """Ids of sample pipelines queued or running now (DBOS's own view)."""
    workflows = DBOS.list_workflows(
        status=["ENQUEUED", "PENDING"], queue_name=QUEUE, load_input=False, load_output=False
    )
    return {w.workflow_id for w in workflows}


# --- the command: python -m scripts.reprocess_all_samples / cratedig reprocess ---------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The reference script's flags."""
    parser.add_argument("--dry-run", action="store_true", help="list what would be reprocessed")
    parser.add_argument(
        "--status", choices=[s.value for s in SampleStatus], help="only samples in this status"
    )
    parser.add_argument("--limit", type=positive_int, help="at most N samples")
    parser.add_argument(
        "--skip-reset", action="store_true", help="don't reset the status to pending (advanced)"
    )
    parser.add_argument(
        "--broken-links-only", action="store_true", help="only samples with broken/missing media"
    )
    parser.add_argument("--yes", action="store_true", help="don't ask for confirmation")
    parser.add_argument(
        "--follow", action="store_true", help="then show the pipelines' progress until done"
    )


def run_command(args: argparse.Namespace) -> int:
    """Run the command; 0 when every chosen sample was queued (or listed, in a dry run)."""
    request = ReprocessRequest(
        filter_status=SampleStatus(args.status) if args.status else None,
        limit=args.limit,
        skip_reset=args.skip_reset,
        dry_run=args.dry_run,
        broken_links_only=args.broken_links_only,
    )
    with operation_runtime(enqueue=True):
        say(RULE)
        say("Starting sample reprocessing")
        say(RULE)
        selection = choose_samples(request)
        total = len(selection.candidates)
        if total == 0:
            say(f"\nNo samples to reprocess ({len(selection.skipped)} skipped).")
            _say_skipped(selection)
            return 0
        if request.dry_run:
            _say_dry_run(selection)
            return 0
        _say_warning(total)
        if not confirm(assume_yes=args.yes):
            say("Cancelled: nothing was changed.")
            return 1
        operation_id = start_reprocess(selection, request, origin="cli")
        result = run_reprocess(operation_id, request.skip_reset)
        result.skipped += len(selection.skipped)
        _say_summary(result, operation_id)
        if args.follow:
            from cratedig.operations.follow import follow_operation

            follow_operation(operation_id)
        return 0 if result.failed == 0 else 1


def _say_warning(total: int) -> None:
    say("\n⚠️  WARNING " + "=" * 50)
    say(f"This will reprocess {total} samples through the FULL pipeline:")
    for line in (
        "Download video from TikTok",
        "Extract audio (WAV + MP3)",
        "Generate waveforms",
        "Analyze BPM/key",
        "Download and store all media",
        "This may take a while and makes one TikTok page request per sample",
    ):
        say(f"  - {line}")
    say("=" * 62 + "\n")


def _say_dry_run(selection: Selection) -> None:
    say(f"\nDRY RUN: {len(selection.candidates)} samples would be reprocessed (nothing changed)\n")
    for index, c in enumerate(selection.candidates, start=1):
        creator = f"@{c.creator}" if c.creator else "(unknown)"
        say(f"[{index}] {c.id}  {c.source_url}  {creator}  {c.status}  ({c.reason})")
    _say_skipped(selection)


def _say_skipped(selection: Selection) -> None:
    for sample_id, reason in selection.skipped:
        say(f"  skipped {sample_id}: {reason}")


def _say_summary(result: ReprocessResult, operation_id: uuid.UUID) -> None:
    say("\n" + RULE)
    say("REPROCESSING COMPLETE")
    say(RULE + "\n")
    say(f"Total samples: {result.total}")
    say(f"Successfully triggered: {result.triggered}")
    say(f"Failed: {result.failed}")
    say(f"Skipped: {result.skipped}")
    say("\n💡 Monitor processing progress:")
    say(f"   - cratedig operations {operation_id} --follow")
    say(f"   - GET /api/v1/operations/{operation_id}")
    say(RULE)
