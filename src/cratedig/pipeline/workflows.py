"""`process_sample`: the durable workflow that turns a submitted URL into a published sample."""

from __future__ import annotations

import logging

from dbos import DBOS

from cratedig.pipeline import steps
from cratedig.pipeline.cleanup import DB_WRITE_ATTEMPTS, DB_WRITE_INTERVAL_SECONDS, discard_staging
from cratedig.pipeline.draining import running_workflow
from cratedig.pipeline.payloads import Job, Publication
from cratedig.pipeline.publish import finish_if_published
from cratedig.pipeline.stepping import StepError, describe
from cratedig.pipeline.tracking import mark_failed

log = logging.getLogger(__name__)


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
    job = Job(sample_id, generation)
    if not mark_failed(job, step, code, message) and finish_if_published(job):
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


@DBOS.workflow(name="process_sample")
def process_sample(sample_id: str, generation: int) -> str:
    """Fetch, stage every artifact, then publish; a failure is recorded, never half-published."""
    with running_workflow():
        return _process(Job(sample_id, generation))


def _process(job: Job) -> str:
    try:
        target = steps.mark_processing(job)
        metadata = steps.fetch_source(job, target)
        images = steps.store_images(job, metadata)
        processed = steps.process_audio(job, metadata)
        creator_id = steps.fetch_creator(job, metadata)
        published = steps.publish(job, Publication(metadata, images, processed, creator_id))
    except StepError as failed:
        code, message = describe(failed.error)
        return record_failure(job.sample_id, job.generation, failed.step, code, message)
    return "completed" if published else "superseded"
