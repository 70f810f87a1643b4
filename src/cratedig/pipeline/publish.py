"""Swap a staged generation in: copy to its own keys, one transaction, then clean up."""

from __future__ import annotations

import logging
import posixpath
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cratedig.artifacts import SAMPLE_ARTIFACTS
from cratedig.models import Sample, SampleStatus, utcnow
from cratedig.pipeline.cleanup import discard_older_staging
from cratedig.pipeline.faults import kill_if_asked
from cratedig.pipeline.payloads import Job, Publication
from cratedig.pipeline.state import serves_generation
from cratedig.runtime import current_runtime
from cratedig.samples.corrections import apply_analysis
from cratedig.samples.repository import SampleRepository
from cratedig.storage import StorageError
from cratedig.storage.keys import generation_key, sample_prefix, staging_key, staging_prefix

# The post's fields a publish copies when the source gave them (a rerun keeps older values).
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


def publish_generation(job: Job, publication: Publication) -> bool:
    """Make `generation` the sample's published media; False if a newer one has begun.

    The served objects are never overwritten: the generation is copied to keys of its own,
    the row switches to them in one transaction, and only then are the old objects deleted.
    A crash anywhere in between reruns this step: before the switch it repeats the copies,
    after it (the row already `completed` for this generation) only the clean-up.
    """
    state = _published_state(job)
    if state is None:
        current_runtime().storage.delete_prefix(staging_prefix(job.sample_id, job.generation))
        return False
    referenced = state or _switch(job, publication)
    if referenced is None:
        return False
    kill_if_asked("publish:switched")
    _clean_up(job, referenced)
    return True


def finish_if_published(job: Job) -> bool:
    """Whether the row already serves `generation`; if so, finish the publish's clean-up.

    A step can fail after the switch has committed (the step's bookkeeping, the clean-up, or a
    commit whose answer was lost with the connection): the generation is published all the
    same, so it is not to be recorded as failed.
    """
    referenced = _published_state(job)
    if not referenced:
        return False
    try:
        _clean_up(job, referenced)
    except StorageError as exc:
        # The next publish of this sample removes whatever older objects are left.
        log.warning(
            "clean-up after publishing sample %s g%s left behind: %s",
            job.sample_id,
            job.generation,
            exc,
        )
    return True


def _switch(job: Job, publication: Publication) -> set[str] | None:
    """Copy the staged files to the generation's keys and point the row at them; the keys
    the row now serves, or None when a newer generation began meanwhile."""
    runtime = current_runtime()
    sample_id, generation = job.sample_id, job.generation
    for name in publication.staged:
        runtime.storage.copy(
            staging_key(sample_id, generation, name), generation_key(sample_id, generation, name)
        )
    kill_if_asked("publish:copied")
    with runtime.transaction() as session:
        repo = SampleRepository(session)
        sample = repo.get(uuid.UUID(sample_id))
        if sample is None or sample.generation != generation:
            return None
        _apply(sample, publication)
        tags = publication.metadata.get("tags")
        if tags is not None:
            repo.set_tags(sample, list(tags))
        return _referenced_keys(sample)


def _published_state(job: Job) -> set[str] | None:
    """None when a newer generation has begun (or the sample is gone); the keys the row
    serves when this generation is already switched in; else an empty set."""
    with current_runtime().transaction() as session:
        sample = SampleRepository(session).get(uuid.UUID(job.sample_id))
        if sample is None or sample.generation != job.generation:
            return None
        return _referenced_keys(sample) if serves_generation(sample, job.generation) else set()


def _apply(sample: Sample, publication: Publication) -> None:
    staged = publication.staged
    for artifact in SAMPLE_ARTIFACTS:
        if artifact.file not in staged:
            continue
        if artifact.folder is None:
            size = staged[artifact.file]
        else:
            size = sum(n for name, n in staged.items() if name.startswith(artifact.folder + "/"))
        artifact.store(sample, generation_key(sample.id, sample.generation, artifact.file), size)
    analysis = publication.processed["analysis"]
    sample.duration_seconds = analysis.get("duration_seconds")
    apply_analysis(sample, analysis)  # an admin's correction of bpm/key/scale stays shown
    sample.bpm_confidence = analysis.get("bpm_confidence")
    sample.key_confidence = analysis.get("key_confidence")
    sample.bpm_candidates = list(analysis.get("bpm_candidates") or [])
    sample.key_candidates = list(analysis.get("key_candidates") or [])
    sample.loudness_lufs = analysis.get("loudness_lufs")
    metadata: Mapping[str, Any] = publication.metadata
    for field in METADATA_FIELDS:
        if metadata.get(field) is not None:
            setattr(sample, field, metadata[field])
    if metadata.get("canonical_url"):  # the handle, once the page told us (m./short forms)
        sample.source_url = str(metadata["canonical_url"])
    if metadata.get("posted_at"):
        sample.posted_at = datetime.fromisoformat(str(metadata["posted_at"]))
    if publication.creator_id:
        sample.creator_id = uuid.UUID(publication.creator_id)
    sample.status = SampleStatus.COMPLETED
    sample.step_index = None  # `step` stays the publish step, as tracking set it when it began
    sample.error_code = sample.error_message = None
    sample.processed_at = utcnow()


def _referenced_keys(sample: Sample) -> set[str]:
    """The keys the row serves; a folder artifact (the HLS playlist) stands for its whole
    folder (`dir/`)."""
    keys: set[str] = set()
    for artifact in SAMPLE_ARTIFACTS:
        key = artifact.stored(sample)
        if key is not None:
            keys.add(key)
            if artifact.folder is not None:
                keys.add(posixpath.dirname(key) + "/")
    return keys


def _clean_up(job: Job, referenced: set[str]) -> None:
    """Remove what the published row no longer serves, what earlier generations left staged,
    and the generation's own staged files."""
    storage = current_runtime().storage
    _remove_unreferenced(job.sample_id, referenced)
    discard_older_staging(storage, job.sample_id, job.generation)
    storage.delete_prefix(staging_prefix(job.sample_id, job.generation))


def _remove_unreferenced(sample_id: str, referenced: set[str]) -> None:
    """Delete the sample's objects the published row no longer points at (older generations)."""
    storage = current_runtime().storage
    folders = tuple(key for key in referenced if key.endswith("/"))
    for item in storage.list(sample_prefix(sample_id) + "/"):
        if item.key not in referenced and not item.key.startswith(folders):
            storage.delete(item.key)
