"""`process_sample`: the durable workflow that turns a submitted URL into a published sample."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from dbos import DBOS

from cratedig.pipeline import steps
from cratedig.pipeline.cleanup import DB_WRITE_ATTEMPTS, DB_WRITE_INTERVAL_SECONDS, discard_staging
from cratedig.pipeline.draining import running_workflow, safe_point
from cratedig.pipeline.publish import finish_if_published, publish_generation
from cratedig.pipeline.tracking import describe, mark_failed, note_retry, tracked
from cratedig.runtime import current_runtime

T = TypeVar("T")
log = logging.getLogger(__name__)


@DBOS.step(name="publish")
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


# Bookkeeping steps retry on any error (a dropped database connection): if they gave up, the
# sample would stay `processing` forever.
@DBOS.step(
    name="record_failure",
    retries_allowed=True,
    max_attempts=DB_WRITE_ATTEMPTS,
    interval_seconds=DB_WRITE_INTERVAL_SECONDS,
)
def record_failure(sample_id: str, generation: int, step: str, code: str, message: str) -> str:
    """Leave the sample failed with the step and reason and drop what it had staged; unless
    the generation was published before the failure, which then only finishes its clean-up."""
    if not mark_failed(sample_id, generation, step, code, message) and finish_if_published(
        sample_id, generation
    ):
        log.warning(
            "sample %s g%s: %s failed after the generation was published (%s); it stays published",
            sample_id,
            generation,
            step,
            message,
        )
        return "completed"
    discard_staging(sample_id, generation)
    return "failed"


@DBOS.step(
    name="record_retry",
    retries_allowed=True,
    max_attempts=DB_WRITE_ATTEMPTS,
    interval_seconds=DB_WRITE_INTERVAL_SECONDS,
)
def record_retry(sample_id: str, generation: int, step: str, code: str, message: str) -> None:
    """Show the reason a step will be retried while the retry is pending."""
    note_retry(sample_id, generation, step, code, message)


def with_retries(sample_id: str, generation: int, step: str, call: Callable[[], T]) -> T:
    """Run a step; on a retryable failure record why, sleep durably (doubling), run it again.

    Only network trouble, throttling and expired CDN links retry: a deleted or private post
    fails at once. Replays identically after a restart: DBOS records each step's outcome.
    """
    settings = current_runtime().settings
    for attempt in range(1, settings.fetch_attempts + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == settings.fetch_attempts or not steps.is_transient(exc):
                raise
            delay = settings.fetch_retry_seconds * 2 ** (attempt - 1)
            code, message = describe(exc)
            retries = settings.fetch_attempts - 1
            note = f"{message} (retry {attempt} of {retries} in {delay:g} s)"
            record_retry(sample_id, generation, step, code, note)
            with safe_point():  # the sleep is durable: a stopping worker need not wait it out
                DBOS.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


@DBOS.workflow(name="process_sample")
def process_sample(sample_id: str, generation: int) -> str:
    """Fetch, stage every artifact, then publish; a failure is recorded, never half-published."""
    with running_workflow():
        return _process(sample_id, generation)


def _process(sample_id: str, generation: int) -> str:
    step = "mark_processing"
    sid, gen = sample_id, generation
    try:
        target = with_retries(sid, gen, step, lambda: steps.mark_processing(sid, gen))
        step = "fetch_source"
        metadata = with_retries(
            sid, gen, step, lambda: steps.fetch_source_step(sid, gen, target["kind"], target["url"])
        )
        step = "store_images"
        images = with_retries(sid, gen, step, lambda: steps.store_images(sid, gen, metadata))
        step = "process_audio"
        source_key = metadata["source_key"]
        audio = with_retries(sid, gen, step, lambda: steps.process_audio(sid, gen, source_key))
        step = "fetch_creator"
        creator_id = with_retries(sid, gen, step, lambda: steps.fetch_creator(sid, gen, metadata))
        step = "publish"
        staged = {**audio["sizes"], **images}
        if "video_bytes" in metadata:
            staged["video.mp4"] = int(metadata["video_bytes"])
        analysis = audio["analysis"]
        published = with_retries(
            sid, gen, step, lambda: publish(sid, gen, staged, metadata, analysis, creator_id)
        )
    except Exception as exc:
        code, message = describe(exc)
        return record_failure(sid, gen, step, code, message)
    return "completed" if published else "superseded"
