"""What the samples API does: submit with dedupe, present samples, progress, downloads, delete.

Services flush but never commit: the request dependency owns the transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cratedig.artifacts import MP3, WAV, Artifact, is_external
from cratedig.config import Settings
from cratedig.errors import ApiError
from cratedig.media.key import KEY_NAMES
from cratedig.models import Sample, SampleSource, SampleStatus
from cratedig.pipeline.fetching import tiktok_options, url_source_id
from cratedig.samples import naming
from cratedig.samples.documents import creator_document, progress_document, sample_document
from cratedig.samples.matching import Plan
from cratedig.samples.repository import SampleRepository
from cratedig.samples.schemas import SampleOut, SampleProgress
from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.tiktok import resolve_short_link
from cratedig.sources.urls import SourceKind, parse_source_url
from cratedig.storage import Storage
from cratedig.storage.keys import sample_prefix, sample_staging_prefix

DOWNLOADS: dict[str, Artifact] = {"wav": WAV, "mp3": MP3}
"""What `/download?format=` serves."""
# Keys are stored in the analysis' spelling; a filter may use either enharmonic name.
_ENHARMONIC = {"Db": "C#", "D#": "Eb", "Gb": "F#", "G#": "Ab", "A#": "Bb"}


def sample_out(sample: Sample, storage: Storage) -> SampleOut:
    """A sample as the API shows it: its columns, tags, creator and media URLs."""
    creator = creator_document(sample.creator, storage)
    return SampleOut.model_validate(sample_document(sample, sample.tags, creator, storage))


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
    steps = SampleRepository(session).steps_for(sample.id, sample.generation)
    return SampleProgress.model_validate(progress_document(sample, steps))


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


def download_name(sample: Sample, ext: str, rendered: Plan | None = None) -> str:
    """The file name of the sample as stored, or as `rendered` (tempo, key, loop)."""
    bpm, key, scale = sample.bpm, sample.key, sample.scale
    if rendered is not None:
        bpm, key, scale = rendered.bpm, rendered.key, rendered.scale
    return naming.download_name(
        bpm=bpm,
        key=key,
        scale=scale,
        creator=sample.creator.username if sample.creator is not None else None,
        sample_id=sample.id,
        ext=ext,
        bars=rendered.bars if rendered is not None else None,
    )


def delete_sample(session: Session, storage: Storage, sample: Sample) -> int:
    """Remove the sample's objects (staged ones too), then its row; how many objects went."""
    removed = storage.delete_prefix(sample_prefix(sample.id))
    removed += storage.delete_prefix(sample_staging_prefix(sample.id))
    SampleRepository(session).delete(sample)
    return removed
