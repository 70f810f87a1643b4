"""The pipeline's steps: each takes the job (and small values), works in its own temp dir,
leaves its output in storage under the sample's staging prefix, and returns small values."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import cast

from cratedig.artifacts import COVER, ORIGIN_COVER, VIDEO
from cratedig.media.process import process_file
from cratedig.media.workdir import job_directory
from cratedig.models import SampleStatus
from cratedig.pipeline.creators import record_creator
from cratedig.pipeline.fetching import fetch_source as download_source
from cratedig.pipeline.fetching import probe_source, tiktok_options
from cratedig.pipeline.images import fetch_optional_jpeg
from cratedig.pipeline.payloads import (
    Analysis,
    Fetched,
    Job,
    Processed,
    Publication,
    StagedSizes,
    Target,
)
from cratedig.pipeline.publish import publish_generation
from cratedig.pipeline.stepping import number_steps, pipeline_step
from cratedig.process_options import child_limits, process_options
from cratedig.runtime import current_runtime
from cratedig.samples.repository import SampleRepository
from cratedig.sources.urls import SourceKind
from cratedig.storage.keys import staging_key

SOURCE_NAME = "source/original"  # staged input, never published as such
ANALYSIS_FILE = "analysis.json"  # the report process_file writes beside the media (not staged)


@pipeline_step("mark_processing")
def mark_processing(job: Job) -> Target:
    """Flag the sample as processing (one more attempt); return what to fetch."""
    with current_runtime().transaction() as session:
        sample = SampleRepository(session).get(uuid.UUID(job.sample_id))
        if sample is None:
            raise LookupError(f"sample {job.sample_id} no longer exists")
        sample.status = SampleStatus.PROCESSING
        sample.attempts += 1
        sample.error_code = sample.error_message = None
        return {"kind": sample.source.value, "url": sample.source_url}


def superseded(job: Job) -> bool:
    """Whether the sample was deleted, or moved to a later generation (reprocessed), since
    this job began: its download is then wasted work holding a worker."""
    with current_runtime().transaction() as session:
        sample = SampleRepository(session).get(uuid.UUID(job.sample_id))
        return sample is None or sample.generation != job.generation


@pipeline_step("fetch_source")
def fetch_source(job: Job, target: Target) -> Fetched:
    """Download the source and stage it (and the video, when there is one)."""
    runtime = current_runtime()
    with job_directory() as work:
        path, found = download_source(
            SourceKind(target["kind"]),
            target["url"],
            work,
            runtime.settings,
            cancelled=lambda: superseded(job),
        )
        info = probe_source(path, child_limits(runtime.settings.media))
        storage = runtime.storage
        source_key = staging_key(job.sample_id, job.generation, SOURCE_NAME + path.suffix.lower())
        storage.put_file(source_key, path)
        metadata = cast(Fetched, {**found, "source_key": source_key})
        if info.has_video and "mp4" in info.format_name:
            storage.copy(source_key, staging_key(job.sample_id, job.generation, VIDEO.file))
            metadata["video_bytes"] = path.stat().st_size
        return metadata


@pipeline_step("store_images")
def store_images(job: Job, metadata: Fetched) -> StagedSizes:
    """Re-host the post's cover and origin cover (as JPEG) when the source names them."""
    runtime = current_runtime()
    options = tiktok_options(runtime.settings)
    sizes: StagedSizes = {}
    for artifact, url in (
        (COVER, metadata.get("cover_url")),
        (ORIGIN_COVER, metadata.get("origin_cover_url")),
    ):
        what = f"sample {job.sample_id}: {artifact.url_field}"
        jpeg = url and fetch_optional_jpeg(str(url), options, what)
        if jpeg:
            key = staging_key(job.sample_id, job.generation, artifact.file)
            runtime.storage.put_bytes(key, jpeg, artifact.content_type)
            sizes[artifact.file] = len(jpeg)
    return sizes


@pipeline_step("process_audio")
def process_audio(job: Job, metadata: Fetched) -> Processed:
    """Decode once; stage WAV, MP3, HLS, waveform (and a thumbnail for video); analyse."""
    runtime = current_runtime()
    source_key = metadata["source_key"]
    with job_directory() as work:
        source = runtime.storage.download(source_key, work / Path(source_key).name)
        result = process_file(source, work / "out", process_options(runtime.settings.media))
        sizes: StagedSizes = {}
        for name in result.files:
            if name == ANALYSIS_FILE:
                continue
            file = work / "out" / name
            runtime.storage.put_file(staging_key(job.sample_id, job.generation, name), file)
            sizes[name] = file.stat().st_size
        return {"analysis": cast(Analysis, result.analysis), "sizes": sizes}


@pipeline_step("fetch_creator")
def fetch_creator(job: Job, metadata: Fetched) -> str | None:
    """Record the post's creator with avatars (TikTok); the creator id, or None for plain URLs."""
    return record_creator(metadata.get("creator") or {})


@pipeline_step("publish")
def publish(job: Job, publication: Publication) -> bool:
    """Swap the staged generation in (one transaction), then remove what it replaced."""
    return publish_generation(job, publication)


STEPS = number_steps(
    mark_processing, fetch_source, store_images, process_audio, fetch_creator, publish
)
"""The pipeline's step names in the order the workflow runs them (`step n of len(STEPS)`)."""
