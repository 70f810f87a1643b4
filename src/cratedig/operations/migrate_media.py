"""Media migration: re-host media still on external hosts (TikTok's CDN, a legacy public
domain) in our storage, at the keys the pipeline uses.

Per item: download it (TikTok's hosts through the TikTok client, any other host directly after
refusing private addresses), store it at its key, then point the column at the key, only if
the column still holds that URL (one transaction). A crash in between leaves the old URL, and
the rerun downloads again and overwrites the same key. A URL under our own public base URL
becomes its key without a download when the object is there.
"""

from __future__ import annotations

import argparse
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from cratedig.media.errors import MediaError
from cratedig.models import Creator, OperationItem, Sample
from cratedig.operations.artifacts import (
    AVATAR_SIZES,
    MIGRATED,
    SAMPLE_FILES,
    is_external,
    url_host,
)
from cratedig.operations.console import RULE, Output, operation_runtime, positive_int, say
from cratedig.operations.media_fetch import Fetcher, Item, Stored, is_tiktok_host, our_key
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
from cratedig.runtime import current_runtime
from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.storage import StorageError
from cratedig.storage.keys import avatar_key, sample_key

log = logging.getLogger(__name__)
SCRIPT = "python -m scripts.migrate_media_to_storage"
EXPIRED = "expired"  # an item detail starting "expired:" marks a sample to reprocess
_HTTP_STATUS = re.compile(r"HTTP (\d{3})")


@dataclass(frozen=True)
class MigrateRequest:
    """How many samples (and creators) to consider, and whether only to list them."""

    limit: int | None = None
    dry_run: bool = False

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, not {self.limit}")


@dataclass
class MigrateSummary:
    """What a run did; an expired item makes its sample failed and offered for reprocessing."""

    operation_id: uuid.UUID
    samples_total: int
    samples_migrated: int
    samples_skipped: int
    samples_failed: int
    creators_total: int
    creators_migrated: int
    creators_skipped: int
    creators_failed: int
    expired_sample_ids: list[uuid.UUID]
    creators_expired: int = 0


@dataclass
class Tally:
    """What became of one subject's items."""

    stored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)


def _is_external_sql(column: Any) -> ColumnElement[bool]:
    lowered = func.lower(column)
    return or_(lowered.like("http://%"), lowered.like("https://%"))


def sample_items(sample: Sample) -> list[Item]:
    """The sample's external video, thumbnail and covers."""
    return [
        Item(
            prefix.replace("_", " "),
            f"{prefix}_key",
            f"{prefix}_bytes",
            str(value),
            sample_key(sample.id, SAMPLE_FILES[prefix]),
            video=prefix == "video",
        )
        for prefix in MIGRATED
        if is_external(value := getattr(sample, f"{prefix}_key"))
    ]


def creator_items(creator: Creator) -> list[Item]:
    """The creator's external avatars."""
    return [
        Item(f"avatar {size}", f"avatar_{size}_key", None, str(value), avatar_key(creator.id, size))
        for size in AVATAR_SIZES
        if is_external(value := getattr(creator, f"avatar_{size}_key"))
    ]


# --- choosing -----------------------------------------------------------------------------


def select_subjects(
    session: Session, request: MigrateRequest
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Samples and creators (oldest first) with at least one external media value; the limit
    applies to each."""
    samples: Select[Any] = (
        select(Sample.id)
        .where(or_(*(_is_external_sql(getattr(Sample, f"{p}_key")) for p in MIGRATED)))
        .order_by(Sample.created_at, Sample.id)
    )
    creators: Select[Any] = (
        select(Creator.id)
        .where(or_(*(_is_external_sql(getattr(Creator, f"avatar_{s}_key")) for s in AVATAR_SIZES)))
        .order_by(Creator.created_at, Creator.id)
    )
    if request.limit is not None:
        samples, creators = samples.limit(request.limit), creators.limit(request.limit)
    return list(session.scalars(samples)), list(session.scalars(creators))


def start_migration(request: MigrateRequest, origin: str = "api") -> tuple[uuid.UUID, int]:
    """Choose the samples and creators and record the run with them; its id and their count."""
    with current_runtime().transaction() as session:
        sample_ids, creator_ids = select_subjects(session, request)
    subjects = [(Subject.SAMPLE, i) for i in sample_ids] + [
        (Subject.CREATOR, i) for i in creator_ids
    ]
    params = {"limit": request.limit, "dry_run": request.dry_run}
    operation_id = create_operation(
        OperationKind.MIGRATE_MEDIA, params, subjects, dry_run=request.dry_run, origin=origin
    )
    return operation_id, len(subjects)


# --- running ------------------------------------------------------------------------------


def run_migration(
    operation_id: uuid.UUID, request: MigrateRequest, out: Output = say
) -> MigrateSummary:
    """Migrate the run's pending samples, then its creators; a rerun resumes."""
    sample_ids = pending_items(operation_id, Subject.SAMPLE)
    creator_ids = pending_items(operation_id, Subject.CREATOR)
    summary = MigrateSummary(operation_id, len(sample_ids), 0, 0, 0, len(creator_ids), 0, 0, 0, [])
    out(RULE)
    out("Starting media migration to our storage")
    out(RULE)
    if request.dry_run:
        _dry_run(operation_id, sample_ids, creator_ids, out)
        return summary
    with Fetcher(current_runtime().settings) as fetcher:
        for subject, ids in ((Subject.SAMPLE, sample_ids), (Subject.CREATOR, creator_ids)):
            out(f"\nFound {len(ids)} {subject.value}s to process")
            for index, subject_id in enumerate(ids, start=1):
                place = f"[{index}/{len(ids)}]"
                state = _migrate_subject(operation_id, subject, subject_id, place, fetcher, out)
                _count(summary, subject, subject_id, state)
    _say_summary(summary, out)
    finish_operation(operation_id, OperationStatus.COMPLETED, _message(summary))
    return summary


def _count(summary: MigrateSummary, subject: Subject, subject_id: uuid.UUID, state: str) -> None:
    name = f"{subject.value}s_" + {"done": "migrated", "skipped": "skipped"}.get(state, "failed")
    setattr(summary, name, getattr(summary, name) + 1)
    if state == EXPIRED and subject is Subject.SAMPLE:
        summary.expired_sample_ids.append(subject_id)
    elif state == EXPIRED:
        summary.creators_expired += 1


def _load(subject: Subject, subject_id: uuid.UUID) -> tuple[str, list[Item]] | None:
    """A subject's handle ("@name" or "") and its external items; None when it is gone."""
    with current_runtime().transaction() as session:
        if subject is Subject.SAMPLE:
            query = select(Sample).options(selectinload(Sample.creator))
            sample = session.scalar(query.where(Sample.id == subject_id))
            if sample is None:
                return None
            return (f"@{sample.creator.username}" if sample.creator else ""), sample_items(sample)
        creator = session.get(Creator, subject_id)
        return None if creator is None else (f"@{creator.username}", creator_items(creator))


def _migrate_subject(
    operation_id: uuid.UUID,
    subject: Subject,
    subject_id: uuid.UUID,
    place: str,
    fetcher: Fetcher,
    out: Output,
) -> str:
    """Migrate one sample's or creator's items; its outcome: done, skipped, failed, expired."""
    loaded = _load(subject, subject_id)
    is_sample = subject is Subject.SAMPLE
    handle = loaded[0] if loaded else ""
    title = f"Sample {subject_id}" if is_sample else f"Creator {handle or subject_id}"
    if is_sample:
        out(f"\n{place} Processing sample...")
        out(f"Processing sample {subject_id}" + (f" ({handle})" if handle else ""))
    else:
        out(f"\n{place} {handle or subject_id}")
    if loaded is None:
        out(f"- {title} no longer exists")
        set_item(operation_id, subject, subject_id, ItemState.SKIPPED, "no longer exists")
        return ItemState.SKIPPED
    tally = Tally()
    for item in loaded[1]:
        if is_sample:
            out(f"  Migrating {item.name} for sample {subject_id}")
        _migrate_item(Sample if is_sample else Creator, subject_id, item, fetcher, tally, out)
    return _record(operation_id, subject, subject_id, title, tally, out)


def _migrate_item(
    model: type[Sample] | type[Creator],
    subject_id: uuid.UUID,
    item: Item,
    fetcher: Fetcher,
    tally: Tally,
    out: Output,
) -> None:
    """Store one item at its key and point its column there; the old URL stays on failure."""
    label = item.name[0].upper() + item.name[1:]
    try:
        stored = fetcher.store(item)
    except Exception as exc:  # each item's failure is its own; the run goes on
        if isinstance(exc, SourceError) and exc.code is SourceErrorCode.MEDIA_EXPIRED:
            status = _HTTP_STATUS.search(str(exc))
            code = f"HTTP {status.group(1)}" if status else "link expired"
            tally.expired.append(f"{item.name} ({code})")
            offer = ": offered for reprocessing" if model is Sample else ""
            out(f"  ✗ {label} expired ({code}){offer}")
            return
        reason = str(exc)
        if not isinstance(exc, SourceError | MediaError | StorageError):
            # Unexpected: recorded on the item, the traceback in the log; the others go on.
            log.exception("migrating %s of %s failed", item.name, subject_id)
            reason = f"{type(exc).__name__}: {exc}"
        tally.failed.append(f"{item.name}: {reason}")
        out(f"  ✗ {label} failed: {reason}")
        return
    if _point_at(model, subject_id, item, stored):
        tally.stored.append(item.name)
        out(f"  ✓ {label} migrated" + (f" ({stored.note})" if stored.note else ""))
    else:
        tally.unchanged.append(item.name)
        out(f"  - {label} changed meanwhile; left as it is")


def _point_at(
    model: type[Sample] | type[Creator], subject_id: uuid.UUID, item: Item, stored: Stored
) -> bool:
    """Set the column to the key (and its bytes) if it still holds the URL we migrated."""
    values: dict[str, Any] = {item.column: stored.key}
    if item.bytes_column:
        values[item.bytes_column] = stored.size
    with current_runtime().transaction() as session:
        result = session.execute(
            update(model)
            .where(model.id == subject_id, getattr(model, item.column) == item.url)
            .values(**values)
        )
        return cast("CursorResult[Any]", result).rowcount > 0


def _record(
    operation_id: uuid.UUID,
    subject: Subject,
    subject_id: uuid.UUID,
    title: str,
    tally: Tally,
    out: Output,
) -> str:
    """Record the subject's item state and say how it went; returns its outcome."""
    problems = len(tally.failed) + len(tally.expired)
    if problems:
        parts = [f"{EXPIRED}: " + ", ".join(tally.expired)] if tally.expired else []
        parts += ["failed: " + "; ".join(tally.failed)] if tally.failed else []
        set_item(operation_id, subject, subject_id, ItemState.FAILED, "; ".join(parts))
        out(f"✗ {title}: {problems} item{'s' if problems > 1 else ''} failed")
        return EXPIRED if tally.expired else ItemState.FAILED
    if tally.stored:
        detail = "migrated: " + ", ".join(tally.stored)
        set_item(operation_id, subject, subject_id, ItemState.DONE, detail)
        out(f"✓ {title} migrated successfully")
        return ItemState.DONE
    reason = "changed meanwhile: " + ", ".join(tally.unchanged) if tally.unchanged else ""
    set_item(operation_id, subject, subject_id, ItemState.SKIPPED, reason or "nothing external")
    out(f"- {title}: nothing to migrate" + (f" ({reason})" if reason else ""))
    return ItemState.SKIPPED


# --- listing and reporting ------------------------------------------------------------------


def _dry_run(
    operation_id: uuid.UUID,
    sample_ids: list[uuid.UUID],
    creator_ids: list[uuid.UUID],
    out: Output,
) -> None:
    """List each external item (subject, artifact, host, and how it would move); change nothing."""
    out(f"\nFound {len(sample_ids)} samples to process")
    out("DRY RUN: listing what would be migrated (nothing is changed)")
    sample_count = _list_items(Subject.SAMPLE, sample_ids, out)
    out(f"\nFound {len(creator_ids)} creators to process")
    creator_count = _list_items(Subject.CREATOR, creator_ids, out)
    message = (
        f"dry run: {sample_count} items of {len(sample_ids)} samples and {creator_count} items "
        f"of {len(creator_ids)} creators would be migrated"
    )
    out(f"\nDRY RUN COMPLETE: {message[len('dry run: ') :]} (nothing changed)")
    finish_operation(operation_id, message=message)


def _list_items(subject: Subject, ids: list[uuid.UUID], out: Output) -> int:
    base, count = current_runtime().settings.public_media_base_url, 0
    for subject_id in ids:
        handle, items = _load(subject, subject_id) or ("", [])
        name = str(subject_id) if subject is Subject.SAMPLE else handle
        for item in items:
            out(f"  {name}  {item.name}  {url_host(item.url)}  ({_plan(item, base)})")
            count += 1
    return count


def _plan(item: Item, public_base_url: str) -> str:
    """How a run would move the item."""
    key = our_key(item.url, public_base_url)
    if key is not None:
        if current_runtime().storage.exists(key):
            return f"our own URL: becomes {key}"
        return f"our own URL, but no object at {key}: download to {item.key}"
    via = "TikTok client" if is_tiktok_host(url_host(item.url)) else "direct download"
    return f"{via} to {item.key}"


def _say_summary(summary: MigrateSummary, out: Output) -> None:
    out("\n" + RULE)
    out("MIGRATION COMPLETE")
    out(RULE)
    for title, what, expired in (
        ("Samples", "samples", len(summary.expired_sample_ids)),
        ("Creators", "creators", summary.creators_expired),
    ):
        out(f"\n{title}:")
        for name in ("total", "migrated", "skipped", "failed"):
            out(f"  {name.title()}: {getattr(summary, f'{what}_{name}')}")
        out(f"  Expired: {expired}")
    if summary.expired_sample_ids:
        out(
            f"\n⚠️  {len(summary.expired_sample_ids)} samples have expired TikTok CDN links; "
            "reprocess them to fetch fresh media:"
        )
        out(f"  {_reprocess_command(summary.operation_id)}")
        out("Expired samples:")
        for sample_id in summary.expired_sample_ids:
            out(f"  {sample_id}")
    out(f"\nOperation: {summary.operation_id}")


def _message(summary: MigrateSummary) -> str:
    text = (
        f"samples: {summary.samples_migrated} of {summary.samples_total} migrated, "
        f"{summary.samples_skipped} skipped, {summary.samples_failed} failed "
        f"({len(summary.expired_sample_ids)} expired); creators: {summary.creators_migrated} of "
        f"{summary.creators_total} migrated, {summary.creators_skipped} skipped, "
        f"{summary.creators_failed} failed ({summary.creators_expired} expired)"
    )
    if summary.expired_sample_ids:
        text += f"; reprocess the expired samples: {_reprocess_command(summary.operation_id)}"
    return text


def _reprocess_command(operation_id: uuid.UUID) -> str:
    return f"{SCRIPT} --reprocess-expired {operation_id}"


def expired_samples(operation_id: uuid.UUID) -> list[uuid.UUID]:
    """The samples a migration found with expired CDN links, in its order."""
    with current_runtime().transaction() as session:
        query = (
            select(OperationItem.subject_id)
            .where(
                OperationItem.operation_id == operation_id,
                OperationItem.subject_type == Subject.SAMPLE.value,
                OperationItem.state == ItemState.FAILED.value,
                OperationItem.detail.like(f"{EXPIRED}:%"),
            )
            .order_by(OperationItem.position)
        )
        return list(session.scalars(query))


# --- the command: python -m scripts.migrate_media_to_storage / cratedig migrate-media --------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The reference script's flags, and the follow-up for expired links."""
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be migrated; change nothing"
    )
    parser.add_argument(
        "--limit", type=positive_int, help="consider only the first N samples (and N creators)"
    )
    parser.add_argument(
        "--reprocess-expired",
        type=uuid.UUID,
        metavar="OPERATION_ID",
        help="reprocess the samples that migration found with expired TikTok links",
    )


def run_command(args: argparse.Namespace) -> int:
    """Run the command; 0 when nothing failed."""
    if args.reprocess_expired is not None:
        return _reprocess_expired(args.reprocess_expired)
    request = MigrateRequest(limit=args.limit, dry_run=args.dry_run)
    with operation_runtime():
        operation_id, _ = start_migration(request, origin="cli")
        summary = run_migration(operation_id, request)
    return 0 if summary.samples_failed == 0 and summary.creators_failed == 0 else 1


def _reprocess_expired(operation_id: uuid.UUID) -> int:
    """Queue the full pipeline for the samples a migration found expired (fresh TikTok links)."""
    from cratedig.operations.reprocess import reprocess_samples

    with operation_runtime(enqueue=True):
        ids = expired_samples(operation_id)
        say(f"{len(ids)} samples with expired links in migration {operation_id}")
        if not ids:
            return 0
        params = {"expired_in_migration": str(operation_id)}
        result = reprocess_samples(ids, origin="cli", params=params)
        say(f"\nSuccessfully triggered: {result.triggered}")
        say(f"Failed: {result.failed}")
        say(f"Operation: {result.operation_id}")
        return 0 if result.failed == 0 else 1
