"""The readable state on our own tables: which step runs (n of N) and why a sample failed."""

from __future__ import annotations

import logging
import uuid

from cratedig.models import SampleStatus
from cratedig.pipeline.payloads import Job
from cratedig.pipeline.state import serves_generation
from cratedig.pipeline.steps import STEPS
from cratedig.runtime import current_runtime
from cratedig.samples.repository import SampleRepository

__all__ = ["STEPS", "mark_failed", "step_number"]

log = logging.getLogger(__name__)


def step_number(step: str) -> int:
    """1-based position of a step."""
    return STEPS.index(step) + 1


def mark_failed(job: Job, step: str, code: str, message: str) -> bool:
    """Leave the sample `failed` with the step and reason (its published media stay as they
    are); False when the sample is gone, has a newer generation or already serves this one."""
    with current_runtime().transaction() as session:
        sample = SampleRepository(session).get(uuid.UUID(job.sample_id))
        if sample is None or sample.generation != job.generation:
            return False
        if serves_generation(sample, job.generation):
            return False  # this generation is published: a later failure cannot unpublish it
        sample.status = SampleStatus.FAILED
        sample.step, sample.step_index = step, step_number(step)
        sample.error_code, sample.error_message = code, message[:2000]
    # The full reason goes to the log and the admin view; the public API shows it redacted.
    log.warning(
        "sample %s g%s failed at %s: %s: %s", job.sample_id, job.generation, step, code, message
    )
    return True
