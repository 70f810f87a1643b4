"""Swap a staged generation in: copy to the final keys, one transaction, then clean up."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from cratedig.models import Sample, SampleStatus, utcnow
from cratedig.runtime import current_runtime
from cratedig.samples.repository import SampleRepository
from cratedig.storage.keys import (
    AUDIO_MP3,
    AUDIO_WAV,
    COVER,
    HLS_PLAYLIST,
    ORIGIN_COVER,
    THUMBNAIL,
    VIDEO,
    WAVEFORM_JSON,
    WAVEFORM_PNG,
    relative_name,
    sample_key,
    sample_prefix,
    staging_key,
    staging_prefix,
)

COLUMNS = {
    VIDEO: "video",
    THUMBNAIL: "thumbnail",
    COVER: "cover",
    ORIGIN_COVER: "origin_cover",
    AUDIO_WAV: "wav",
    AUDIO_MP3: "mp3",
    HLS_PLAYLIST: "hls",
    WAVEFORM_PNG: "waveform_png",
    WAVEFORM_JSON: "waveform_json",
}
ANALYSIS_FIELDS = (
    "duration_seconds",
    "bpm",
    "bpm_confidence",
    "key",
    "scale",
    "key_confidence",
    "loudness_lufs",
)
METADATA_FIELDS = (
    "title",
    "description",
    "view_count",
    "like_count",
    "share_count",
    "comment_count",
    "save_count",
    "sound_title",
    "sound_artist",
    "sound_album",
    "sound_is_original",
    "region",
    "post_type",
)


def publish_generation(
    sample_id: str,
    generation: int,
    staged: dict[str, int],
    metadata: dict[str, Any],
    analysis: dict[str, Any],
    creator_id: str | None,
) -> bool:
    """Make `generation` the sample's published media; False if a newer one has begun."""
    runtime, sid = current_runtime(), uuid.UUID(sample_id)
    if not _is_current(sid, generation):
        return False
    storage = runtime.storage
    for name in staged:  # overwrite working media only with finished, staged replacements
        storage.copy(staging_key(sample_id, generation, name), sample_key(sample_id, name))
    with runtime.transaction() as session:
        repo = SampleRepository(session)
        sample = repo.get(sid)
        if sample is None or sample.generation != generation:
            return False
        _apply(sample, staged, metadata, analysis, creator_id)
        if metadata.get("tags") is not None:
            repo.set_tags(sample, list(metadata["tags"]))
    _remove_stale(sample_id, set(staged))
    storage.delete_prefix(staging_prefix(sample_id, generation))
    return True


def _is_current(sample_id: uuid.UUID, generation: int) -> bool:
    with current_runtime().transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        return sample is not None and sample.generation == generation


def _apply(
    sample: Sample,
    staged: dict[str, int],
    metadata: dict[str, Any],
    analysis: dict[str, Any],
    creator_id: str | None,
) -> None:
    hls_total = sum(size for name, size in staged.items() if name.startswith("hls/"))
    for name, column in COLUMNS.items():
        if name in staged:
            setattr(sample, f"{column}_key", sample_key(sample.id, name))
            setattr(sample, f"{column}_bytes", hls_total if column == "hls" else staged[name])
    for field in ANALYSIS_FIELDS:
        setattr(sample, field, analysis.get(field))
    for field in METADATA_FIELDS:
        if metadata.get(field) is not None:
            setattr(sample, field, metadata[field])
    if metadata.get("canonical_url"):  # the handle, once the page told us (m./short forms)
        sample.source_url = str(metadata["canonical_url"])
    if metadata.get("posted_at"):
        sample.posted_at = datetime.fromisoformat(str(metadata["posted_at"]))
    if creator_id:
        sample.creator_id = uuid.UUID(creator_id)
    sample.status = SampleStatus.COMPLETED
    sample.step, sample.step_index = "publish", None
    sample.error_code = sample.error_message = None
    sample.processed_at = utcnow()


def _remove_stale(sample_id: str, kept: set[str]) -> None:
    """Delete published objects the new generation no longer has (e.g. surplus segments)."""
    storage = current_runtime().storage
    prefix = sample_prefix(sample_id)
    for item in storage.list(prefix + "/"):
        if relative_name(item.key, prefix) not in kept:
            storage.delete(item.key)
