"""HLS backfill: give completed samples that only have an MP3 the pipeline's HLS stream.

Per sample: download the MP3 by its key, package it exactly as the pipeline does, upload the
segments, then the playlist, drop stale segments of an earlier attempt, and only then point
the sample at the stream (one transaction). An interrupted run leaves no sample pointing at a
half-uploaded stream, and a rerun overwrites the same deterministic keys.
"""

from __future__ import annotations

import argparse
import logging
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, select, update
from sqlalchemy.orm import Session, selectinload

from cratedig.media.errors import MediaError
from cratedig.media.process import ProcessOptions
from cratedig.media.stream import audio_to_hls
from cratedig.media.workdir import job_directory
from cratedig.models import Sample, SampleStatus
from cratedig.operations.artifacts import is_external
from cratedig.operations.console import WIDE_RULE, Output, operation_runtime, positive_int, say
from cratedig.operations.tracking import (
    ItemState,
    OperationKind,
    OperationStatus,
    Subject,
    create_operation,
    finish_operation,
    pending_items,
    set_item,
)
from cratedig.process_options import process_options
from cratedig.runtime import current_runtime
from cratedig.storage import ObjectNotFound, Storage, StorageError
from cratedig.storage.keys import HLS_DIR, HLS_PLAYLIST, hls_prefix, sample_key

log = logging.getLogger(__name__)
NOT_MIGRATED = "mp3 is not in our storage yet; run the media migration first"
UPLOAD_THREADS = 4  # segments upload in parallel: on S3 each PUT is a round trip
PROGRESS_EVERY = 5  # "Uploaded 5/15 segments"


@dataclass(frozen=True)
class BackfillRequest:
    """Which samples to give HLS streams (the API body and the script's flags)."""

    limit: int | None = None
    dry_run: bool = False
    sample_id: uuid.UUID | None = None
    batch_size: int = 1

    def __post_init__(self) -> None:
        # Operation params are JSON: a resumed run gets the sample id back as text.
        if isinstance(self.sample_id, str):
            object.__setattr__(self, "sample_id", uuid.UUID(self.sample_id))
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {self.batch_size}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, not {self.limit}")


@dataclass
class BackfillSummary:
    """What a run did."""

    operation_id: uuid.UUID
    total: int
    succeeded: int
    failed: int
    skipped: int


@dataclass(frozen=True)
class Outcome:
    """What became of one sample."""

    state: ItemState
    detail: str


# --- choosing -----------------------------------------------------------------------------


def _without_hls(request: BackfillRequest) -> Select[Any]:
    query = select(Sample.id).where(
        Sample.status == SampleStatus.COMPLETED,
        Sample.mp3_key.is_not(None),
        Sample.hls_key.is_(None),
    )
    if request.sample_id is not None:
        query = query.where(Sample.id == request.sample_id)
    return query


def select_samples(session: Session, request: BackfillRequest) -> list[uuid.UUID]:
    """Completed samples with an MP3 and no HLS (oldest first), up to the limit."""
    query = _without_hls(request).order_by(Sample.created_at, Sample.id)
    if request.limit is not None:
        query = query.limit(request.limit)
    return list(session.scalars(query))


def count_samples(session: Session, request: BackfillRequest) -> int:
    """How many samples lack HLS now (the limit aside)."""
    return session.scalar(select(func.count()).select_from(_without_hls(request).subquery())) or 0


def start_backfill(
    request: BackfillRequest, origin: str = "api"
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Choose the samples and record the run with them (pending); its id and the samples."""
    with current_runtime().transaction() as session:
        ids = select_samples(session, request)
    params = {
        "limit": request.limit,
        "dry_run": request.dry_run,
        "sample_id": str(request.sample_id) if request.sample_id else None,
        "batch_size": request.batch_size,
    }
    subjects = [(Subject.SAMPLE, sample_id) for sample_id in ids]
    operation_id = create_operation(
        OperationKind.BACKFILL_HLS, params, subjects, dry_run=request.dry_run, origin=origin
    )
    return operation_id, ids


# --- running ------------------------------------------------------------------------------


def run_backfill(
    operation_id: uuid.UUID, request: BackfillRequest, out: Output = say
) -> BackfillSummary:
    """Process the run's pending samples, `batch_size` at a time; a rerun resumes."""
    ids = pending_items(operation_id, Subject.SAMPLE)
    with current_runtime().transaction() as session:
        found = count_samples(session, request)
        why_not = _why_not(session, request.sample_id) if request.sample_id and not ids else None
    summary = BackfillSummary(operation_id, total=len(ids), succeeded=0, failed=0, skipped=0)
    out(f"Found {found} samples without HLS streams")
    if why_not:
        out(why_not)
    out(f"Will process up to {len(ids)} samples")
    if request.dry_run:
        _list_dry_run(ids, out)
        finish_operation(operation_id, message=f"dry run: {len(ids)} samples would be processed")
        return summary
    if not ids:
        out("\nNothing to do.")
        finish_operation(operation_id, message="nothing to do")
        return summary
    out(f"\nProcessing {len(ids)} samples...")
    out(WIDE_RULE)
    _process_all(operation_id, ids, request.batch_size, summary, out)
    _say_summary(summary, out)
    message = (
        f"{summary.succeeded} of {summary.total} samples got HLS streams; "
        f"{summary.failed} failed, {summary.skipped} skipped"
    )
    finish_operation(operation_id, OperationStatus.COMPLETED, message)
    return summary


def _process_all(
    operation_id: uuid.UUID,
    ids: list[uuid.UUID],
    batch_size: int,
    summary: BackfillSummary,
    out: Output,
) -> None:
    """Keep `batch_size` samples in flight; each sample's lines print together when it ends."""
    runtime = current_runtime()
    options = process_options(runtime.settings.media)
    live = batch_size == 1  # one at a time, lines can stream as they come
    work = iter(enumerate(ids, start=1))
    with ThreadPoolExecutor(max_workers=batch_size, thread_name_prefix="backfill") as pool:
        running: dict[Future[Outcome], tuple[uuid.UUID, list[str]]] = {}

        def submit_next() -> None:
            for index, sample_id in work:
                lines: list[str] = []
                sink: Output = out if live else lines.append
                task = pool.submit(_one, index, len(ids), sample_id, runtime.storage, options, sink)
                running[task] = (sample_id, lines)
                return

        for _ in range(batch_size):
            submit_next()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                sample_id, lines = running.pop(future)
                for line in lines:
                    out(line)
                _record(operation_id, sample_id, future.result(), summary, out)
                submit_next()


def _one(
    index: int,
    total: int,
    sample_id: uuid.UUID,
    storage: Storage,
    options: ProcessOptions,
    out: Output,
) -> Outcome:
    out(f"\n[{index}/{total}] Sample: {sample_id}")
    return backfill_sample(sample_id, storage, options, out)


def _record(
    operation_id: uuid.UUID,
    sample_id: uuid.UUID,
    outcome: Outcome,
    summary: BackfillSummary,
    out: Output,
) -> None:
    set_item(operation_id, Subject.SAMPLE, sample_id, outcome.state, outcome.detail)
    if outcome.state is ItemState.DONE:
        summary.succeeded += 1
    elif outcome.state is ItemState.FAILED:
        summary.failed += 1
    else:
        summary.skipped += 1
    out(f"  Progress: {summary.succeeded} succeeded, {summary.failed} failed")


# --- one sample -----------------------------------------------------------------------------


def backfill_sample(
    sample_id: uuid.UUID, storage: Storage, options: ProcessOptions, out: Output = say
) -> Outcome:
    """Give one sample its HLS stream; any failure is this sample's outcome, not an exception."""
    with current_runtime().transaction() as session:
        sample = session.scalar(
            select(Sample).options(selectinload(Sample.creator)).where(Sample.id == sample_id)
        )
    if sample is None:
        return _said(out, sample_id, Outcome(ItemState.SKIPPED, "sample no longer exists"))
    creator = f"@{sample.creator.username}" if sample.creator else "(unknown)"
    duration = f"{sample.duration_seconds:.1f}s" if sample.duration_seconds else "unknown"
    mp3_key = sample.mp3_key
    out(f"  Creator: {creator}")
    out(f"  Duration: {duration}")
    if sample.hls_key is not None or sample.status is not SampleStatus.COMPLETED or not mp3_key:
        reason = "already has an HLS stream" if sample.hls_key else "no longer eligible"
        return _said(
            out, sample_id, Outcome(ItemState.SKIPPED, f"{reason} (status {sample.status.value})")
        )
    if is_external(mp3_key):
        out(f"  MP3 URL: {mp3_key}")
        return _said(out, sample_id, Outcome(ItemState.SKIPPED, NOT_MIGRATED))
    out(f"  MP3 URL: {storage.public_url(mp3_key)}")
    out(f"Processing sample {sample_id} - {creator}")
    try:
        total_bytes = _make_and_upload(sample_id, mp3_key, storage, options, out)
        outcome = _point_at_stream(sample_id, mp3_key, total_bytes, out)
    except ObjectNotFound as exc:
        reason = "mp3 object missing from storage" if exc.key == mp3_key else "object missing"
        outcome = Outcome(ItemState.FAILED, f"{reason}: {exc.key}")
    except (MediaError, StorageError) as exc:
        outcome = Outcome(ItemState.FAILED, str(exc))
    except Exception as exc:  # recorded on the item, the traceback in the log; others go on
        log.exception("HLS backfill of sample %s failed", sample_id)
        outcome = Outcome(ItemState.FAILED, f"{type(exc).__name__}: {exc}")
    return _said(out, sample_id, outcome)


def _make_and_upload(
    sample_id: uuid.UUID, mp3_key: str, storage: Storage, options: ProcessOptions, out: Output
) -> int:
    """Package the MP3 and upload segments, then the playlist; the stream's total bytes."""
    with job_directory() as work:
        out("  Downloading MP3 from storage...")
        mp3 = storage.download(mp3_key, work / "audio.mp3")
        out(f"  MP3 downloaded: {mp3.stat().st_size / (1024 * 1024):.2f} MB")
        out("  Generating HLS stream...")
        hls_dir = work / HLS_DIR
        segments = audio_to_hls(mp3, hls_dir, options)
        out(f"  Generated {len(segments)} HLS segments")
        names = [f"{HLS_DIR}/{segment.name}" for segment in segments]
        out(f"  Uploading {len(names)} HLS segments...")
        _upload_segments(sample_id, names, work, storage, out)
        out("  All segments uploaded")
        # Last: a playlist in storage means every segment it names is there.
        out("  Uploading HLS playlist...")
        playlist_key = sample_key(sample_id, HLS_PLAYLIST)
        storage.put_file(playlist_key, work / HLS_PLAYLIST)
        out(f"  Playlist uploaded: {storage.public_url(playlist_key)}")
        _remove_stale(
            sample_id, {playlist_key, *(sample_key(sample_id, n) for n in names)}, storage
        )
        return sum((work / name).stat().st_size for name in [HLS_PLAYLIST, *names])


def _upload_segments(
    sample_id: uuid.UUID, names: list[str], work: Path, storage: Storage, out: Output
) -> None:
    def upload(name: str) -> None:
        storage.put_file(sample_key(sample_id, name), work / name)

    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        for done, _ in enumerate(pool.map(upload, names), start=1):
            if done % PROGRESS_EVERY == 0 or done == len(names):
                out(f"    Uploaded {done}/{len(names)} segments")


def _remove_stale(sample_id: uuid.UUID, kept: set[str], storage: Storage) -> None:
    """Delete segments an earlier, longer attempt left (nothing served them: no hls_key)."""
    for item in storage.list(hls_prefix(sample_id)):
        if item.key not in kept:
            storage.delete(item.key)


def _point_at_stream(sample_id: uuid.UUID, mp3_key: str, total_bytes: int, out: Output) -> Outcome:
    """Set hls_key/hls_bytes, unless the sample changed meanwhile (HLS or a new MP3)."""
    out("  Updating database...")
    with current_runtime().transaction() as session:
        result = session.execute(
            update(Sample)
            .where(Sample.id == sample_id, Sample.hls_key.is_(None), Sample.mp3_key == mp3_key)
            .values(hls_key=sample_key(sample_id, HLS_PLAYLIST), hls_bytes=total_bytes)
        )
        changed = cast("CursorResult[Any]", result).rowcount
    if changed == 0:
        return Outcome(ItemState.SKIPPED, "changed while its stream was made; left as it is")
    return Outcome(ItemState.DONE, f"{total_bytes} bytes of HLS")


def _said(out: Output, sample_id: uuid.UUID, outcome: Outcome) -> Outcome:
    if outcome.state is ItemState.DONE:
        out(f"  ✅ Successfully processed sample {sample_id}")
    elif outcome.state is ItemState.SKIPPED:
        out(f"  ⏭️  Skipped: {outcome.detail}")
    else:
        out(f"  ❌ Failed: {outcome.detail}")
    return outcome


# --- reporting ------------------------------------------------------------------------------


def _why_not(session: Session, sample_id: uuid.UUID) -> str:
    """Why the one sample asked for is not chosen."""
    sample = session.get(Sample, sample_id)
    if sample is None:
        return f"Sample {sample_id} does not exist"
    if sample.hls_key is not None:
        return f"Sample {sample_id} already has an HLS stream"
    if sample.status is not SampleStatus.COMPLETED:
        return f"Sample {sample_id} is not completed (status {sample.status.value})"
    return f"Sample {sample_id} has no MP3"


def _list_dry_run(ids: list[uuid.UUID], out: Output) -> None:
    """The samples a run would process: id, creator, duration, MP3 key."""
    out(f"\nDRY RUN: {len(ids)} samples would be processed (nothing changed)")
    with current_runtime().transaction() as session:
        rows = session.scalars(
            select(Sample).options(selectinload(Sample.creator)).where(Sample.id.in_(ids))
        )
        samples = {sample.id: sample for sample in rows}
    for index, sample_id in enumerate(ids, start=1):
        sample = samples.get(sample_id)
        if sample is None:
            out(f"[{index}/{len(ids)}] {sample_id}  (no longer exists)")
            continue
        creator = f"@{sample.creator.username}" if sample.creator else "(unknown)"
        duration = f"{sample.duration_seconds:.1f}s" if sample.duration_seconds else "unknown"
        note = f"  ({NOT_MIGRATED})" if is_external(sample.mp3_key) else ""
        out(f"[{index}/{len(ids)}] {sample_id}  {creator}  {duration}  {sample.mp3_key}{note}")


def _say_summary(summary: BackfillSummary, out: Output) -> None:
    out("\n" + WIDE_RULE)
    out("SUMMARY")
    out(WIDE_RULE)
    out(f"Total processed: {summary.total}")
    out(f"Successful: {summary.succeeded}")
    out(f"Failed: {summary.failed}")
    if summary.skipped:
        out(f"Skipped: {summary.skipped}")
    out(f"Operation: {summary.operation_id}")


# --- the command: python scripts/backfill_hls_streams.py / cratedig backfill-hls -----------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The reference script's flags."""
    parser.add_argument("--dry-run", action="store_true", help="list what would be processed")
    parser.add_argument("--limit", type=positive_int, help="process only the first N samples")
    parser.add_argument("--sample-id", type=uuid.UUID, help="process only this sample")
    parser.add_argument(
        "--batch-size", type=positive_int, default=1, help="samples processed concurrently"
    )


def run_command(args: argparse.Namespace) -> int:
    """Run the command; 0 when no sample failed."""
    request = BackfillRequest(
        limit=args.limit,
        dry_run=args.dry_run,
        sample_id=args.sample_id,
        batch_size=args.batch_size,
    )
    with operation_runtime():
        operation_id, _ = start_backfill(request, origin="cli")
        summary = run_backfill(operation_id, request)
    return 0 if summary.failed == 0 else 1
