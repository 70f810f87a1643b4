"""Media migration: re-host media still on external hosts (TikTok's CDN, a legacy public
domain) in our storage, at the keys the pipeline uses.

Per item: download it (TikTok's hosts through the TikTok client, any other host directly after
refusing private addresses), store it at its key, then point the column at the key, only if
the column still holds that URL (one transaction). A crash in between leaves the old URL, and
the rerun downloads again and overwrites the same key. A URL under our own public base URL
becomes its key without a download when the object is there.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from pydantic import Field, StrictInt
from sqlalchemy.orm import Session

from cratedig.artifacts import CREATOR_AVATARS, REHOSTED_ARTIFACTS, is_external
from cratedig.media.errors import MediaError
from cratedig.models import Creator, Sample
from cratedig.operations.framework import Kind, RunResult, Work
from cratedig.operations.library_repository import (
    point_column_at,
    sample_with_creator,
    subjects_with_external_media,
)
from cratedig.operations.media_fetch import Fetcher, is_tiktok_host, our_key, url_host
from cratedig.operations.media_fetch import Item as Media
from cratedig.operations.schemas import OperationRequest
from cratedig.operations.states import Item, ItemState, Outcome, Selection, Subject
from cratedig.runtime import Runtime
from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.storage import StorageError
from cratedig.storage.keys import avatar_key, sample_key

log = logging.getLogger(__name__)
EXPIRED = "expired"  # an item detail starting "expired:" marks a sample to reprocess
_HTTP_STATUS = re.compile(r"HTTP (\d{3})")


class MigrateRequest(OperationRequest):
    """How many samples (and creators) to consider, and whether only to list them."""

    limit: StrictInt | None = Field(
        None, ge=1, le=1_000_000, description="consider only the first N samples (and N creators)"
    )


@dataclass(frozen=True)
class Moved:
    """What became of one external media value."""

    name: str  # "video", "origin cover", "avatar thumb"
    result: str  # migrated | expired | failed | changed | planned
    text: str = ""  # the note, the failure, the expiry code, or the plan
    host: str = ""


@dataclass(frozen=True)
class Migrated:
    """A subject's handle and each of its media values' fate."""

    handle: str  # "@name" or ""
    media: list[Moved] = field(default_factory=list)

    @property
    def expired(self) -> bool:
        """Whether a value's link had expired (a sample then wants a reprocess)."""
        return any(moved.result == EXPIRED for moved in self.media)


class MigrateMedia(Kind[MigrateRequest]):
    """Re-host media still on TikTok's CDN in our storage."""

    name = "migrate_media"
    path = "/admin/migrate-media"
    summary = "re-host media still on TikTok's CDN in our storage"
    request_model = MigrateRequest
    phrase = "media migration of"

    def select(
        self, runtime: Runtime, session: Session, request: MigrateRequest, only: Sequence[uuid.UUID]
    ) -> Selection:
        """Samples, then creators (oldest first) with an external media value; the limit
        applies to each."""
        samples, creators = subjects_with_external_media(session, request.limit)
        items = [Item(Subject.SAMPLE, i) for i in samples] + [
            Item(Subject.CREATOR, i) for i in creators
        ]
        return Selection([item for item in items if not only or item.id in set(only)])

    def handle_all(self, work: Work, items: Sequence[Item]) -> Iterator[tuple[Item, Outcome]]:
        """One subject at a time, with one TikTok session for the whole run."""
        with Fetcher(work.settings) as fetcher:
            for item in items:
                yield item, self._migrate(work, item, fetcher)

    def preview(self, work: Work, item: Item) -> Outcome:
        """Each external value, its host, and how a run would move it."""
        loaded = _load(work, item)
        if loaded is None:
            return Outcome(ItemState.SKIPPED, "no longer exists", Migrated(""))
        handle, media = loaded
        base = work.settings.public_media_base_url
        planned = [Moved(m.name, "planned", _plan(work, m, base), url_host(m.url)) for m in media]
        return Outcome(ItemState.PENDING, None, Migrated(handle, planned))

    def _migrate(self, work: Work, item: Item, fetcher: Fetcher) -> Outcome:
        loaded = _load(work, item)
        if loaded is None:
            return Outcome(ItemState.SKIPPED, "no longer exists", Migrated(""))
        handle, media = loaded
        moved = [_move(work, item, value, fetcher) for value in media]
        facts = Migrated(handle, moved)
        expired = [f"{m.name} ({m.text})" for m in moved if m.result == EXPIRED]
        failed = [f"{m.name}: {m.text}" for m in moved if m.result == "failed"]
        if expired or failed:
            parts = [f"{EXPIRED}: " + ", ".join(expired)] if expired else []
            parts += ["failed: " + "; ".join(failed)] if failed else []
            flag = EXPIRED if expired else None
            return Outcome(ItemState.FAILED, "; ".join(parts), facts, flag=flag)
        stored = [m.name for m in moved if m.result == "migrated"]
        if stored:
            return Outcome(ItemState.DONE, "migrated: " + ", ".join(stored), facts)
        unchanged = [m.name for m in moved if m.result == "changed"]
        reason = "changed meanwhile: " + ", ".join(unchanged) if unchanged else "nothing external"
        return Outcome(ItemState.SKIPPED, reason, facts)

    def dry_run_message(self, selection: Selection) -> str:
        """How many samples and creators would be looked at."""
        samples, creators = selection.count(Subject.SAMPLE), selection.count(Subject.CREATOR)
        return f"dry run: media of {samples} samples and {creators} creators would be migrated"

    def finish_message(self, result: RunResult) -> str:
        """The counts, and the follow-up for expired links."""
        t = result.tally
        parts = []
        for subject in Subject:
            total = sum(t.of(state, subject) for state in ItemState)
            parts.append(
                f"{subject.value}s: {t.of(ItemState.DONE, subject)} of {total} migrated, "
                f"{t.of(ItemState.SKIPPED, subject)} skipped, {t.of(ItemState.FAILED, subject)} "
                f"failed ({t.flagged(EXPIRED, subject)} expired)"
            )
        text = "; ".join(parts)
        if t.flagged(EXPIRED):
            text += (
                f"; reprocess the expired samples: {reprocess_expired_command(result.operation_id)}"
            )
        return text


def reprocess_expired_command(operation_id: uuid.UUID) -> str:
    """The command that reprocesses the samples a migration found expired."""
    return f"python -m scripts.migrate_media_to_storage --reprocess-expired {operation_id}"


def _load(work: Work, item: Item) -> tuple[str, list[Media]] | None:
    """A subject's handle ("@name" or "") and its external media; None when it is gone."""
    with work.transaction() as session:
        if item.subject is Subject.SAMPLE:
            sample = sample_with_creator(session, item.id)
            if sample is None:
                return None
            return (f"@{sample.creator.username}" if sample.creator else ""), _sample_media(sample)
        creator = session.get(Creator, item.id)
        return None if creator is None else (f"@{creator.username}", _creator_media(creator))


def _sample_media(sample: Sample) -> list[Media]:
    return [
        Media(a.name.replace("_", " "), a, str(value), sample_key(sample.id, a.file))
        for a in REHOSTED_ARTIFACTS
        if is_external(value := a.stored(sample))
    ]


def _creator_media(creator: Creator) -> list[Media]:
    return [
        Media(f"avatar {a.name}", a, str(value), avatar_key(creator.id, a))
        for a in CREATOR_AVATARS
        if is_external(value := a.stored(creator))
    ]


def _move(work: Work, item: Item, media: Media, fetcher: Fetcher) -> Moved:
    """Store one value at its key and point its column there; the old URL stays on failure."""
    try:
        stored = fetcher.store(media)
    except Exception as exc:  # each value's failure is its own; the run goes on
        if isinstance(exc, SourceError) and exc.code is SourceErrorCode.MEDIA_EXPIRED:
            status = _HTTP_STATUS.search(str(exc))
            return Moved(
                media.name, EXPIRED, f"HTTP {status.group(1)}" if status else "link expired"
            )
        reason = str(exc)
        if not isinstance(exc, SourceError | MediaError | StorageError):
            log.exception("migrating %s of %s failed", media.name, item.id)
            reason = f"{type(exc).__name__}: {exc}"
        return Moved(media.name, "failed", reason)
    model = Sample if item.subject is Subject.SAMPLE else Creator
    with work.transaction() as session:
        pointed = point_column_at(
            session, model, item.id, media.artifact, media.url, stored.key, stored.size
        )
    return Moved(media.name, "migrated" if pointed else "changed", stored.note)


def _plan(work: Work, media: Media, public_base_url: str) -> str:
    """How a run would move the value."""
    key = our_key(media.url, public_base_url)
    if key is not None:
        if work.storage.exists(key):
            return f"our own URL: becomes {key}"
        return f"our own URL, but no object at {key}: download to {media.key}"
    via = "TikTok client" if is_tiktok_host(url_host(media.url)) else "direct download"
    return f"{via} to {media.key}"


KIND = MigrateMedia()
