"""What the samples API does: submit with dedupe, present samples, progress, downloads, delete.

Services flush but never commit: the request dependency owns the transaction.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from cratedig.artifacts import AVATAR_THUMB, MP3, SAMPLE_ARTIFACTS, WAV, Artifact, is_external
from cratedig.config import Settings
from cratedig.errors import ApiError
from cratedig.media.key import KEY_NAMES
from cratedig.models import Creator, Sample, SampleSource, SampleStatus
from cratedig.pipeline.fetching import tiktok_options, url_source_id
from cratedig.pipeline.tracking import STEPS, step_number
from cratedig.public_errors import public_error_message
from cratedig.samples.repository import SampleRepository
from cratedig.samples.schemas import (
    CreatorSummary,
    SampleOut,
    SampleProgress,
    StepTiming,
)
from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.tiktok import resolve_short_link
from cratedig.sources.urls import SourceKind, parse_source_url
from cratedig.storage import Storage
from cratedig.storage.keys import sample_prefix, sample_staging_prefix

DOWNLOADS: dict[str, Artifact] = {"wav": WAV, "mp3": MP3}
"""What `/download?format=` serves."""
_UNSAFE = re.compile(r"[^\w.#-]+")
# Keys are stored in the analysis' spelling; a filter may use either enharmonic name.
_ENHARMONIC = {"Db": "C#", "D#": "Eb", "Gb": "F#", "G#": "Ab", "A#": "Bb"}


def media_url(storage: Storage, key: str | None, version: int | str | None) -> str | None:
    """The browser URL of a key, with `?v=` so a reprocessed object is never served stale.

    An external URL (a library imported before its media migration) is returned as it is."""
    if key is None:
        return None
    if is_external(key):
        return key
    url = storage.public_url(key)
    if version is None:
        return url
    return f"{url}{'&' if '?' in url else '?'}v={version}"


def avatar_version(creator: Creator) -> int | None:
    """Avatars are refetched in place: their version is when they were fetched."""
    fetched: datetime | None = creator.last_fetched_at
    return int(fetched.timestamp()) if fetched else None


def creator_summary(creator: Creator | None, storage: Storage) -> CreatorSummary | None:
    """The creator as shown beside a sample."""
    if creator is None:
        return None
    return CreatorSummary(
        id=creator.id,
        username=creator.username,
        nickname=creator.nickname,
        verified=creator.verified,
        avatar_url=media_url(storage, AVATAR_THUMB.stored(creator), avatar_version(creator)),
    )


def sample_out(sample: Sample, storage: Storage) -> SampleOut:
    """A sample as the API shows it: its columns, tags, creator and media URLs."""
    urls = {
        artifact.url_field: media_url(storage, artifact.stored(sample), sample.generation)
        for artifact in SAMPLE_ARTIFACTS
    }
    fields = {
        name: getattr(sample, name)
        for name in SampleOut.model_fields
        if name not in urls and name not in ("tags", "creator")
    }
    fields["error_message"] = public_error_message(sample.error_code, sample.error_message)
    # Samples analysed before candidates were kept have none (NULL), not an error.
    fields["bpm_candidates"] = sample.bpm_candidates or []
    fields["key_candidates"] = sample.key_candidates or []
    creator = creator_summary(sample.creator, storage)
    return SampleOut(**fields, **urls, tags=sample.tags, creator=creator)


def normalize_key(value: str) -> str:
    """A key filter in the stored spelling (`c#`, `Db` → `C#`); ApiError 422 when unknown."""
    text = value.strip()
    spelled = text[:1].upper() + text[1:].lower()
    spelled = _ENHARMONIC.get(spelled, spelled)
    if spelled not in KEY_NAMES:
        raise ApiError(422, "validation_error", f"key: not a key name: {value!r}", "key")
    return spelled


def resolve_source(url: str, settings: Settings) -> tuple[SampleSource, str, str]:
    """Validate and canonicalise a submitted URL: (source, canonical URL, source id)."""
    ref = parse_source_url(url, settings.allowed_hosts)
    if ref.is_short_link:
        # Short links live on vm./vt.tiktok.com, not on the paced web pages.
        ref = resolve_short_link(ref, tiktok_options(settings, shared_pace=False))
    if ref.kind is SourceKind.TIKTOK:
        if ref.source_id is None:
            raise SourceError(SourceErrorCode.INVALID_URL, f"no TikTok video id in {ref.url}")
        return SampleSource.TIKTOK, ref.url, ref.source_id
    return SampleSource.URL, ref.url, url_source_id(ref.url)


def submit_sample(session: Session, settings: Settings, url: str) -> tuple[Sample, bool]:
    """The sample for this URL, and whether it is new (a pending row, flushed, not queued)."""
    source, canonical, source_id = resolve_source(url, settings)
    candidate = Sample(
        source=source,
        source_url=canonical,
        source_id=source_id,
        status=SampleStatus.PENDING,
    )
    return SampleRepository(session).get_or_add(candidate)


def progress(session: Session, sample: Sample) -> SampleProgress:
    """Status, current step (n of N), error and per-step timings of the current generation."""
    number = sample.step_index
    if number is None and sample.step in STEPS:
        number = step_number(sample.step)
    steps = [
        StepTiming(
            step=row.step,
            number=row.step_index,
            started_at=row.started_at,
            finished_at=row.finished_at,
            duration_seconds=row.duration_seconds,
            attempts=row.attempts,
            # Only the current step's error is known to carry the sample's error code.
            error=public_error_message(
                sample.error_code if row.step == sample.step else None, row.error
            ),
        )
        for row in SampleRepository(session).steps_for(sample.id, sample.generation)
    ]
    return SampleProgress(
        id=sample.id,
        status=sample.status,
        step=sample.step,
        step_number=number,
        step_count=len(STEPS),
        attempts=sample.attempts,
        generation=sample.generation,
        error_code=sample.error_code,
        error_message=public_error_message(sample.error_code, sample.error_message),
        processed_at=sample.processed_at,
        steps=steps,
    )


def downloadable_key(storage: Storage, sample: Sample, fmt: str) -> str:
    """The stored key `/download?format=` serves, or 404 when the sample or store lacks it.

    Checked before the download is counted: a redirect to a missing object is no download.
    """
    key = DOWNLOADS[fmt].stored(sample)
    if key is None:
        raise ApiError(404, "not_found", f"sample {sample.id} has no {fmt} yet", "format")
    if not is_external(key) and storage.head(key) is None:
        raise ApiError(404, "not_found", f"the {fmt} of sample {sample.id} is missing", "format")
    return key


def download_name(sample: Sample, ext: str) -> str:
    """`{bpm}bpm_{key}{scale}_{creator}_{id8}.{ext}`, leaving out what is unknown."""
    parts: list[str] = []
    if sample.bpm is not None and sample.bpm > 0:
        parts.append(f"{round(sample.bpm)}bpm")
    if sample.key:
        parts.append(f"{sample.key}{sample.scale or ''}")
    if sample.creator is not None:
        parts.append(sample.creator.username)
    parts.append(sample.id.hex[:8])
    cleaned = (_UNSAFE.sub("", part).strip(".-") for part in parts)
    return "_".join(part for part in cleaned if part)[:150] + f".{ext}"


def delete_sample(session: Session, storage: Storage, sample: Sample) -> int:
    """Remove the sample's objects (staged ones too), then its row; how many objects went."""
    removed = storage.delete_prefix(sample_prefix(sample.id))
    removed += storage.delete_prefix(sample_staging_prefix(sample.id))
    SampleRepository(session).delete(sample)
    return removed
