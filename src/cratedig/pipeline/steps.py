"""The pipeline's steps: each takes ids (and small values), works in its own temp dir,
leaves its output in storage under the sample's staging prefix, and returns small values."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from dbos import DBOS

from cratedig.creators.repository import CreatorRepository
from cratedig.media.ffmpeg import probe
from cratedig.media.process import process_file
from cratedig.media.workdir import job_directory
from cratedig.models import SampleStatus
from cratedig.pipeline.fetching import fetch_source
from cratedig.pipeline.images import store_cover
from cratedig.pipeline.tracking import tracked
from cratedig.process_options import process_options
from cratedig.runtime import current_runtime
from cratedig.samples.repository import SampleRepository
from cratedig.sources.errors import SourceError
from cratedig.sources.urls import SourceKind
from cratedig.storage import InvalidKey, ObjectNotFound, StorageError
from cratedig.storage.keys import VIDEO, staging_key

SOURCE_NAME = "source/original"  # staged input, never published as such


def is_transient(error: BaseException) -> bool:
    """Worth retrying: network trouble at the source or in storage, throttling."""
    if isinstance(error, SourceError):
        return error.retryable
    return isinstance(error, StorageError) and not isinstance(error, ObjectNotFound | InvalidKey)


NETWORK_RETRIES: dict[str, Any] = {
    "retries_allowed": True,
    "max_attempts": 4,
    "interval_seconds": 1.0,
    "backoff_rate": 2.0,
    "should_retry": is_transient,
}


@DBOS.step(name="mark_processing")
def mark_processing(sample_id: str, generation: int) -> dict[str, str]:
    """Flag the sample as processing (one more attempt); return what to fetch."""
    with (
        tracked(sample_id, generation, "mark_processing"),
        current_runtime().transaction() as session,
    ):
        sample = SampleRepository(session).get(uuid.UUID(sample_id))
        if sample is None:
            raise LookupError(f"sample {sample_id} no longer exists")
        sample.status = SampleStatus.PROCESSING
        sample.attempts += 1
        sample.error_code = sample.error_message = None
        return {"kind": sample.source.value, "url": sample.source_url}


@DBOS.step(name="fetch_source", **NETWORK_RETRIES)
def fetch_source_step(sample_id: str, generation: int, kind: str, url: str) -> dict[str, Any]:
    """Download the source and stage it (and the video, when there is one)."""
    runtime = current_runtime()
    with tracked(sample_id, generation, "fetch_source"), job_directory() as work:
        path, metadata = fetch_source(SourceKind(kind), url, work, runtime.settings)
        info = probe(path)
        storage = runtime.storage
        source_key = staging_key(sample_id, generation, SOURCE_NAME + path.suffix.lower())
        storage.put_file(source_key, path)
        if info.has_video and "mp4" in info.format_name:
            storage.copy(source_key, staging_key(sample_id, generation, VIDEO))
            metadata["video_bytes"] = path.stat().st_size
        metadata["source_key"] = source_key
        return metadata


@DBOS.step(name="store_images", **NETWORK_RETRIES)
def store_images(sample_id: str, generation: int, metadata: dict[str, Any]) -> dict[str, int]:
    """Re-host the post's cover image when the source names one."""
    with tracked(sample_id, generation, "store_images"):
        cover_url = metadata.get("cover_url")
        if not cover_url:
            return {}
        return store_cover(sample_id, generation, str(cover_url))


@DBOS.step(name="process_audio")
def process_audio(sample_id: str, generation: int, source_key: str) -> dict[str, Any]:
    """Decode once; stage WAV, MP3, HLS, waveform (and a thumbnail for video); analyse."""
    runtime = current_runtime()
    with tracked(sample_id, generation, "process_audio"), job_directory() as work:
        source = runtime.storage.download(source_key, work / Path(source_key).name)
        result = process_file(source, work / "out", process_options(runtime.settings.media))
        sizes: dict[str, int] = {}
        for name in result.files:
            if name == "analysis.json":
                continue
            file = work / "out" / name
            runtime.storage.put_file(staging_key(sample_id, generation, name), file)
            sizes[name] = file.stat().st_size
        return {"analysis": result.analysis, "sizes": sizes}


@DBOS.step(name="fetch_creator", **NETWORK_RETRIES)
def fetch_creator(sample_id: str, generation: int, metadata: dict[str, Any]) -> str | None:
    """Record the post's creator (TikTok); returns the creator id, or None for plain URLs."""
    with tracked(sample_id, generation, "fetch_creator"):
        username = metadata.get("creator_username")
        if not username:
            return None
        with current_runtime().transaction() as session:
            creator = CreatorRepository(session).upsert_by_username(
                str(username),
                nickname=metadata.get("creator_nickname"),
                source_id=metadata.get("creator_source_id"),
            )
            return str(creator.id)
