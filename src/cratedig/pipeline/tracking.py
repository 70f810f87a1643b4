"""The readable state on our own tables: which step runs, what failed, timings per step."""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeGuard

from cratedig.db import describe_db_error, is_transient_db_error
from cratedig.media.errors import MediaError
from cratedig.models import Sample, SampleStatus, utcnow
from cratedig.pipeline.draining import before_step
from cratedig.runtime import current_runtime
from cratedig.samples.repository import SampleRepository
from cratedig.sources.errors import SourceError
from cratedig.storage import StorageError
from cratedig.storage.keys import AUDIO_MP3, generation_key

STEPS = (
    "mark_processing",
    "fetch_source",
    "store_images",
    "process_audio",
    "fetch_creator",
    "publish",
)
"""The pipeline's steps in order; the status endpoint reports `step n of len(STEPS)`."""
FAULT_POINT_VARIABLE = "CRATEDIG_FAULT_KILL_AT_STEP"
FAULT_SIGNAL_VARIABLE = "CRATEDIG_FAULT_SIGNAL"
"""Fault injection for crash tests: the worker signals itself (SIGKILL unless the second
variable names another signal, e.g. `SIGTERM`) when it reaches the point the first names."""


def kill_if_asked(point: str) -> None:
    """Signal this process at `point` when the fault-injection variable names it: a step's
    name (its start), `<step>:done` (its end), `publish:copied` or `publish:switched`."""
    if os.environ.get(FAULT_POINT_VARIABLE) == point:
        # To this step's thread: Python handles signals in the main thread only, so this is
        # the hard case for a handler (the kernel may hand any thread a process's signal).
        chosen = signal.Signals[os.environ.get(FAULT_SIGNAL_VARIABLE, "SIGKILL")]
        signal.pthread_kill(threading.get_ident(), chosen)


def step_number(step: str) -> int:
    """1-based position of a step."""
    return STEPS.index(step) + 1


@contextmanager
def tracked(sample_id: str, generation: int, step: str) -> Iterator[None]:
    """Record a step's start and finish (or error) and show it as the sample's current step."""
    before_step()  # a draining worker begins no step: it exits and a restart runs it
    sid = uuid.UUID(sample_id)
    index = step_number(step)
    runtime = current_runtime()
    with runtime.transaction() as session:
        repo = SampleRepository(session)
        repo.record_step(sid, generation, step, index, started_at=utcnow())
        sample = repo.get(sid)
        if sample is not None and sample.generation == generation:
            sample.step, sample.step_index = step, index
    kill_if_asked(step)  # after the attempt is recorded, as a crash mid-step would leave it
    try:
        yield
    except Exception as exc:
        with runtime.transaction() as session:
            SampleRepository(session).record_step(
                sid, generation, step, index, error=describe(exc)[1]
            )
        raise
    with runtime.transaction() as session:
        repo = SampleRepository(session)
        repo.record_step(sid, generation, step, index, finished_at=utcnow())
        sample = repo.get(sid)
        if _is_processing(sample, generation):
            # A retry note from an earlier attempt is stale once the step has succeeded.
            sample.error_code = sample.error_message = None
    kill_if_asked(f"{step}:done")  # the work is done but DBOS has not recorded it yet


def describe(error: BaseException) -> tuple[str, str]:
    """A stable error code and a one-line message for any failure."""
    if isinstance(error, SourceError):
        return error.code.value, str(error)
    if isinstance(error, MediaError):
        return "media", str(error)
    if isinstance(error, StorageError):
        return "storage", str(error)
    if is_transient_db_error(error):
        return "database", describe_db_error(error)
    return "internal", f"{type(error).__name__}: {error}"


def mark_failed(sample_id: str, generation: int, step: str, code: str, message: str) -> bool:
    """Leave the sample `failed` with the step and reason (its published media stay as they
    are); False when the sample is gone, has a newer generation or already serves this one."""
    with current_runtime().transaction() as session:
        sample = SampleRepository(session).get(uuid.UUID(sample_id))
        if sample is None or sample.generation != generation:
            return False
        if serves_generation(sample, generation):
            return False  # this generation is published: a later failure cannot unpublish it
        sample.status = SampleStatus.FAILED
        sample.step, sample.step_index = step, step_number(step)
        sample.error_code, sample.error_message = code, message[:2000]
        return True


def note_retry(sample_id: str, generation: int, step: str, code: str, message: str) -> None:
    """Show why a step failed and when it runs again; the sample stays `processing`."""
    with current_runtime().transaction() as session:
        sample = SampleRepository(session).get(uuid.UUID(sample_id))
        if _is_processing(sample, generation):
            sample.error_code, sample.error_message = code, message[:2000]


def serves_generation(sample: Sample | None, generation: int) -> TypeGuard[Sample]:
    """Whether the row is `completed` with `generation`'s own media, i.e. its publish is done.

    The status alone cannot tell: a reprocess that keeps the old media until it publishes
    (`skip_reset`) leaves the row `completed`, with the new generation, until its run starts.
    """
    return (
        sample is not None
        and sample.generation == generation
        and sample.status is SampleStatus.COMPLETED
        and sample.mp3_key == generation_key(sample.id, generation, AUDIO_MP3)
    )


def _is_processing(sample: Sample | None, generation: int) -> TypeGuard[Sample]:
    return (
        sample is not None
        and sample.generation == generation
        and sample.status is SampleStatus.PROCESSING
    )
