"""Swap a staged generation in: copy to its own keys, one transaction, then clean up."""

from __future__ import annotations

import logging
import posixpath
import uuid
from datetime import datetime
from typing import Any

from cratedig.models import ARTIFACTS, Sample, SampleStatus, utcnow
from cratedig.pipeline.tracking import kill_if_asked, serves_generation
from cratedig.runtime import current_runtime
from cratedig.samples.repository import SampleRepository
from cratedig.storage import StorageError
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
    generation_key,
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

log = logging.getLogger(__name__)


def publish_generation(
    sample_id: str,
    generation: int,
    staged: dict[str, int],
    metadata: dict[str, Any],
    analysis: dict[str, Any],
    creator_id: str | None,
) -> bool:
    """Make `generation` the sample's published media; False if a newer one has begun.

    The served objects are never overwritten: the generation is copied to keys of its own,
    the row switches to them in one transaction, and only then are the old objects deleted.
    A crash anywhere in between reruns this step: before the switch it repeats the copies,
    after it (the row already `completed` for this generation) only the clean-up.
    """
    state = _published_state(uuid.UUID(sample_id), generation)
    if state is None:
        current_runtime().storage.delete_prefix(staging_prefix(sample_id, generation))
        return False
    referenced = state or _switch(sample_id, generation, staged, metadata, analysis, creator_id)
    if referenced is None:
        return False
    kill_if_asked("publish:switched")
    _clean_up(sample_id, generation, referenced)
    return True


def finish_if_published(sample_id: str, generation: int) -> bool:
    """Whether the row already serves `generation`; if so, finish the publish's clean-up.

    A step can fail after the switch has committed (the step's bookkeeping, the clean-up, or a
    commit whose answer was lost with the connection): the generation is published all the
    same, so it is not to be recorded as failed.
    """
    referenced = _published_state(uuid.UUID(sample_id), generation)
    if not referenced:
        return False
    try:
        _clean_up(sample_id, generation, referenced)
    except StorageError as exc:
        # The next publish of this sample removes whatever older objects are left.
        log.warning(
            "clean-up after publishing sample %s g%s left behind: %s", sample_id, generation, exc
        )
    return True


def _switch(
    sample_id: str,
    generation: int,
    staged: dict[str, int],
    metadata: dict[str, Any],
    analysis: dict[str, Any],
    creator_id: str | None,
) -> set[str] | None:
    """Copy the staged files to the generation's keys and point the row at them; the keys
    the row now serves, or None when a newer generation began meanwhile."""
    runtime = current_runtime()
    for name in staged:
        runtime.storage.copy(
            staging_key(sample_id, generation, name), generation_key(sample_id, generation, name)
        )
    kill_if_asked("publish:copied")
    with runtime.transaction() as session:
        repo = SampleRepository(session)
        sample = repo.get(uuid.UUID(sample_id))
        if sample is None or sample.generation != generation:
            return None
        _apply(sample, staged, metadata, analysis, creator_id)
        if metadata.get("tags") is not None:
            repo.set_tags(sample, list(metadata["tags"]))
        return _referenced_keys(sample)


def _published_state(sample_id: uuid.UUID, generation: int) -> set[str] | None:
    """None when a newer generation has begun (or the sample is gone); the keys the row
    serves when this generation is already switched in; else an empty set."""
    with current_runtime().transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        if sample is None or sample.generation != generation:
            return None
        return _referenced_keys(sample) if serves_generation(sample, generation) else set()


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
            setattr(sample, f"{column}_key", generation_key(sample.id, sample.generation, name))
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


def _referenced_keys(sample: Sample) -> set[str]:
    """The keys the row serves; an HLS playlist stands for its whole directory (`dir/`)."""
    keys = {getattr(sample, f"{name}_key") for name in ARTIFACTS} - {None}
    if sample.hls_key:
        keys.add(posixpath.dirname(sample.hls_key) + "/")
    return keys


def _clean_up(sample_id: str, generation: int, referenced: set[str]) -> None:
    """Remove what the published row no longer serves and the generation's staged files."""
    _remove_unreferenced(sample_id, referenced)
    current_runtime().storage.delete_prefix(staging_prefix(sample_id, generation))


def _remove_unreferenced(sample_id: str, referenced: set[str]) -> None:
    """Delete the sample's objects the published row no longer points at (older generations)."""
    storage = current_runtime().storage
    folders = tuple(key for key in referenced if key.endswith("/"))
    for item in storage.list(sample_prefix(sample_id) + "/"):
        if item.key not in referenced and not item.key.startswith(folders):
            storage.delete(item.key)
