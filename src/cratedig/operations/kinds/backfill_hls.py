"""HLS backfill: give completed samples without a playable stream the pipeline's HLS stream.

A sample needs one when it has no HLS key, or when its playlist is gone from storage. Per
sample: download the MP3 by its key, package it exactly as the pipeline does, upload the
segments, then the playlist, drop stale segments of an earlier attempt, and only then point
the sample at the stream (one guarded update). An interrupted run leaves no sample pointing
at a half-uploaded stream, and a rerun overwrites the same deterministic keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import Field, StrictInt
from sqlalchemy.orm import Session

from cratedig.artifacts import MP3, is_external
from cratedig.media.errors import MediaError
from cratedig.media.stream import audio_to_hls
from cratedig.media.workdir import job_directory
from cratedig.models import SampleStatus
from cratedig.operations.framework import Kind, RunResult, Work
from cratedig.operations.library_repository import (
    hls_candidates,
    point_at_stream,
    sample_with_creator,
)
from cratedig.operations.schemas import OperationRequest
from cratedig.operations.states import (
    Item,
    ItemState,
    Outcome,
    Selection,
    Subject,
    SubjectNotFoundError,
)
from cratedig.process_options import process_options
from cratedig.runtime import Runtime
from cratedig.storage import ObjectNotFound, Storage, StorageError
from cratedig.storage.keys import HLS_DIR, HLS_PLAYLIST, hls_prefix, sample_key

NOT_MIGRATED = "mp3 is not in our storage yet; run the media migration first"
UPLOAD_THREADS = 4  # segments upload in parallel: on S3 each PUT is a round trip
CHECK_THREADS = 16  # playlists looked for in storage at once


class BackfillRequest(OperationRequest):
    """Which samples to give HLS streams (the API body and the script's flags)."""

    limit: StrictInt | None = Field(
        None, ge=1, le=1_000_000, description="process only the first N samples"
    )
    sample_id: uuid.UUID | None = Field(None, description="process only this sample")
    batch_size: StrictInt = Field(1, ge=1, le=16, description="samples processed concurrently")


@dataclass(frozen=True)
class Streamed:
    """What the reference prints about one sample, as far as it got."""

    creator: str | None = None
    duration: float | None = None
    mp3: str | None = None  # its URL
    mp3_bytes: int | None = None
    segments: int | None = None
    playlist: str | None = None  # its URL once uploaded
    updated: bool = False  # reached the database update


class BackfillHls(Kind[BackfillRequest]):
    """Add HLS streams to completed samples that only have an MP3."""

    name = "backfill_hls"
    path = "/admin/backfill-hls"
    summary = "add HLS streams to samples that only have an MP3"
    request_model = BackfillRequest
    phrase = "HLS backfill of"

    def select(
        self,
        runtime: Runtime,
        session: Session,
        request: BackfillRequest,
        only: Sequence[uuid.UUID],
    ) -> Selection:
        """Completed samples with an MP3 and no stream (oldest first), up to the limit."""
        rows = hls_candidates(session, request.sample_id)
        if only:
            rows = [row for row in rows if row[0] in set(only)]
        gone = missing_playlists(runtime.storage, [key for _, key in rows if key])
        needing = [sample_id for sample_id, key in rows if key is None or key in gone]
        selection = Selection(found=len(needing))
        reasons = {sample_id: "stream gone from storage" for sample_id, key in rows if key}
        selection.items = [
            Item(Subject.SAMPLE, sample_id, reasons.get(sample_id))
            for sample_id in needing[: request.limit]
        ]
        if request.sample_id is not None and not needing:
            selection.note = _why_not(session, request.sample_id, bool(rows))
        return selection

    def why_not_due(self, work: Work, session: Session, item: Item) -> str | None:
        """Skip a sample that is gone, no longer completed, or has its stream by now."""
        sample = sample_with_creator(session, item.id)
        if sample is None:
            return "sample no longer exists"
        if sample.status is not SampleStatus.COMPLETED or not sample.mp3_key:
            return f"no longer eligible (status {sample.status.value})"
        if sample.hls_key and sample.hls_key not in missing_playlists(
            work.storage, [sample.hls_key]
        ):
            return f"already has an HLS stream (status {sample.status.value})"
        return None

    def preview(self, work: Work, item: Item) -> Outcome:
        """The sample's creator, duration and MP3 key."""
        with work.transaction() as session:
            sample = sample_with_creator(session, item.id)
            if sample is None:
                return Outcome(ItemState.PENDING, "no longer exists")
            creator = sample.creator.username if sample.creator else None
            facts = Streamed(creator, sample.duration_seconds, sample.mp3_key)
        return Outcome(ItemState.PENDING, NOT_MIGRATED if is_external(facts.mp3) else None, facts)

    def workers(self, request: BackfillRequest) -> int:
        """`batch_size` samples at once."""
        return request.batch_size

    def handle(self, work: Work, item: Item) -> Outcome:
        """Make, upload and point at one sample's stream."""
        with work.transaction() as session:
            sample = sample_with_creator(session, item.id)
            if sample is None or not sample.mp3_key:
                return Outcome(ItemState.SKIPPED, "sample no longer exists")
            mp3_key, old_hls = sample.mp3_key, sample.hls_key
            creator = sample.creator.username if sample.creator else None
            facts = Streamed(creator, sample.duration_seconds, mp3_key)
        if is_external(mp3_key):
            return Outcome(ItemState.SKIPPED, NOT_MIGRATED, facts)
        facts = replace(facts, mp3=work.storage.public_url(mp3_key))
        try:
            facts, total_bytes = _make_and_upload(work, item.id, mp3_key, facts)
            facts = replace(facts, updated=True)
            with work.transaction() as session:
                changed = point_at_stream(
                    session,
                    item.id,
                    mp3_key=mp3_key,
                    old_hls_key=old_hls,
                    hls_key=sample_key(item.id, HLS_PLAYLIST),
                    hls_bytes=total_bytes,
                )
        except ObjectNotFound as exc:
            reason = "mp3 object missing from storage" if exc.key == mp3_key else "object missing"
            return Outcome(ItemState.FAILED, f"{reason}: {exc.key}", facts)
        except (MediaError, StorageError) as exc:
            return Outcome(ItemState.FAILED, str(exc), facts)
        if not changed:
            return Outcome(
                ItemState.SKIPPED, "changed while its stream was made; left as it is", facts
            )
        return Outcome(ItemState.DONE, f"{total_bytes} bytes of HLS", facts)

    def finish_message(self, result: RunResult) -> str:
        """How many got their streams."""
        t = result.tally
        if t.total == 0:
            return "nothing to do"
        return (
            f"{t.of(ItemState.DONE)} of {t.total} samples got HLS streams; "
            f"{t.of(ItemState.FAILED)} failed, {t.of(ItemState.SKIPPED)} skipped"
        )


def missing_playlists(storage: Storage, keys: Sequence[str]) -> set[str]:
    """The playlist keys with no object in storage (external URLs are not ours to check)."""
    ours = [key for key in keys if not is_external(key)]
    if not ours:
        return set()
    with ThreadPoolExecutor(min(CHECK_THREADS, len(ours))) as pool:
        present = list(pool.map(storage.exists, ours))
    return {key for key, there in zip(ours, present, strict=True) if not there}


def _make_and_upload(
    work: Work, sample_id: uuid.UUID, mp3_key: str, facts: Streamed
) -> tuple[Streamed, int]:
    """Package the MP3 and upload segments, then the playlist; the stream's total bytes."""
    storage = work.storage
    with job_directory() as folder:
        mp3 = storage.download(mp3_key, folder / MP3.file)
        facts = replace(facts, mp3_bytes=mp3.stat().st_size)
        segments = audio_to_hls(mp3, folder / HLS_DIR, process_options(work.settings.media))
        names = [f"{HLS_DIR}/{segment.name}" for segment in segments]
        facts = replace(facts, segments=len(names))
        _upload(storage, sample_id, names, folder)
        # Last: a playlist in storage means every segment it names is there.
        playlist_key = sample_key(sample_id, HLS_PLAYLIST)
        storage.put_file(playlist_key, folder / HLS_PLAYLIST)
        facts = replace(facts, playlist=storage.public_url(playlist_key))
        kept = {playlist_key, *(sample_key(sample_id, name) for name in names)}
        for stored in storage.list(hls_prefix(sample_id)):
            if stored.key not in kept:  # an earlier, longer attempt's segment: nothing serves it
                storage.delete(stored.key)
        return facts, sum((folder / name).stat().st_size for name in [HLS_PLAYLIST, *names])


def _upload(storage: Storage, sample_id: uuid.UUID, names: list[str], folder: Path) -> None:
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        list(
            pool.map(
                lambda name: storage.put_file(sample_key(sample_id, name), folder / name), names
            )
        )


def _why_not(session: Session, sample_id: uuid.UUID, has_stream: bool) -> str:
    """Why the one sample asked for is not chosen (404 when it does not exist)."""
    sample = sample_with_creator(session, sample_id)
    if sample is None:
        raise SubjectNotFoundError(Subject.SAMPLE, sample_id, "sample_id")
    if has_stream:
        return f"Sample {sample_id} already has an HLS stream"
    if sample.status is not SampleStatus.COMPLETED:
        return f"Sample {sample_id} is not completed (status {sample.status.value})"
    return f"Sample {sample_id} has no MP3"


KIND = BackfillHls()
