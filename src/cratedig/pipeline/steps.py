"""The pipeline's steps: each takes ids (and small values), works in its own temp dir,
leaves its output in storage under the sample's staging prefix, and returns small values."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from dbos import DBOS

from cratedig.db import is_transient_db_error
from cratedig.media.process import process_file
from cratedig.media.workdir import job_directory
from cratedig.models import SampleStatus
from cratedig.pipeline.creators import record_creator
from cratedig.pipeline.fetching import fetch_source, probe_source, tiktok_options
from cratedig.pipeline.images import fetch_optional_jpeg
from cratedig.pipeline.tracking import tracked
from cratedig.process_options import process_options
from cratedig.runtime import current_runtime
from cratedig.samples.repository import SampleRepository
from cratedig.sources.errors import SourceError
from cratedig.sources.urls import SourceKind
from cratedig.storage import InvalidKey, ObjectNotFound, StorageError
from cratedig.storage.keys import COVER, ORIGIN_COVER, VIDEO, staging_key

SOURCE_NAME = "source/original"  # staged input, never published as such


def is_transient(error: BaseException) -> bool:
    """Worth retrying: network trouble at the source, in storage or to the database, throttling."""
    if isinstance(error, SourceError):
        return error.retryable
    if is_transient_db_error(error):
        return True
    return isinstance(error, StorageError) and not isinstance(error, ObjectNotFound | InvalidKey)


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


@DBOS.step(name="fetch_source")
def fetch_source_step(sample_id: str, generation: int, kind: str, url: str) -> dict[str, Any]:
    """Download the source and stage it (and the video, when there is one)."""
    runtime = current_runtime()
    with tracked(sample_id, generation, "fetch_source"), job_directory() as work:
        path, metadata = fetch_source(SourceKind(kind), url, work, runtime.settings)
        info = probe_source(path)
        storage = runtime.storage
        source_key = staging_key(sample_id, generation, SOURCE_NAME + path.suffix.lower())
        storage.put_file(source_key, path)
        if info.has_video and "mp4" in info.format_name:
            storage.copy(source_key, staging_key(sample_id, generation, VIDEO))
            metadata["video_bytes"] = path.stat().st_size
        metadata["source_key"] = source_key
        return metadata


@DBOS.step(name="store_images")
def store_images(sample_id: str, generation: int, metadata: dict[str, Any]) -> dict[str, int]:
    """Re-host the post's cover and origin cover (as JPEG) when the source names them."""
    runtime = current_runtime()
    with tracked(sample_id, generation, "store_images"):
        options = tiktok_options(runtime.settings)
        sizes: dict[str, int] = {}
        for name, field in ((COVER, "cover_url"), (ORIGIN_COVER, "origin_cover_url")):
            url = metadata.get(field)
            jpeg = url and fetch_optional_jpeg(str(url), options, f"sample {sample_id}: {field}")
            if jpeg:
                runtime.storage.put_bytes(
                    staging_key(sample_id, generation, name), jpeg, "image/jpeg"
                )
                sizes[name] = len(jpeg)
        return sizes


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


@DBOS.step(name="fetch_creator")
def fetch_creator(sample_id: str, generation: int, metadata: dict[str, Any]) -> str | None:
    """Record the post's creator with avatars (TikTok); the creator id, or None for plain URLs."""
    with tracked(sample_id, generation, "fetch_creator"):
        return record_creator(metadata.get("creator") or {})
