"""`process_sample`: the durable workflow that turns a submitted URL into a published sample."""

from __future__ import annotations

from typing import Any

from dbos import DBOS
from dbos._error import DBOSMaxStepRetriesExceeded

from cratedig.pipeline import steps
from cratedig.pipeline.publish import publish_generation
from cratedig.pipeline.tracking import describe, mark_failed, tracked


@DBOS.step(name="publish", **steps.NETWORK_RETRIES)
def publish(
    sample_id: str,
    generation: int,
    staged: dict[str, int],
    metadata: dict[str, Any],
    analysis: dict[str, Any],
    creator_id: str | None,
) -> bool:
    """Swap the staged generation in (one transaction), then remove what it replaced."""
    with tracked(sample_id, generation, "publish"):
        return publish_generation(sample_id, generation, staged, metadata, analysis, creator_id)


@DBOS.step(name="record_failure")
def record_failure(sample_id: str, generation: int, step: str, code: str, message: str) -> None:
    """Leave the sample failed with the step and reason."""
    mark_failed(sample_id, generation, step, code, message)


@DBOS.workflow(name="process_sample")
def process_sample(sample_id: str, generation: int) -> str:
    """Fetch, stage every artifact, then publish; a failure is recorded, never half-published."""
    step = "mark_processing"
    try:
        target = steps.mark_processing(sample_id, generation)
        step = "fetch_source"
        metadata = steps.fetch_source_step(sample_id, generation, target["kind"], target["url"])
        step = "store_images"
        images = steps.store_images(sample_id, generation, metadata)
        step = "process_audio"
        audio = steps.process_audio(sample_id, generation, metadata["source_key"])
        step = "fetch_creator"
        creator_id = steps.fetch_creator(sample_id, generation, metadata)
        step = "publish"
        staged = {**audio["sizes"], **images}
        if "video_bytes" in metadata:
            staged["video.mp4"] = int(metadata["video_bytes"])
        published = publish(sample_id, generation, staged, metadata, audio["analysis"], creator_id)
    except Exception as exc:
        # After the last retry DBOS wraps the errors; the last one is the reason.
        if isinstance(exc, DBOSMaxStepRetriesExceeded) and exc.errors:
            exc = exc.errors[-1]
        code, message = describe(exc)
        record_failure(sample_id, generation, step, code, message)
        return "failed"
    return "completed" if published else "superseded"
