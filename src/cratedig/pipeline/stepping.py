"""`pipeline_step`: one decorator makes a function a pipeline step, its name written once.

A step is a DBOS step (its outcome recorded, so a restarted workflow skips it), tracked on our
own tables (start, finish, error, the sample's current step) and retried with a durable,
doubling sleep when it fails for a transient reason. DBOS recovery matches steps by name and
order: a step's name never changes once released, nor does the shape of what it returns.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from dbos import DBOS

from cratedig.db import describe_db_error, is_transient_db_error
from cratedig.media.errors import MediaError
from cratedig.models import utcnow
from cratedig.pipeline.cleanup import DB_WRITE_ATTEMPTS, DB_WRITE_INTERVAL_SECONDS
from cratedig.pipeline.draining import before_step, safe_point
from cratedig.pipeline.faults import kill_if_asked
from cratedig.pipeline.payloads import Job
from cratedig.pipeline.state import is_processing
from cratedig.runtime import current_runtime
from cratedig.samples.repository import SampleRepository
from cratedig.sources.errors import SourceError
from cratedig.storage import InvalidKey, ObjectNotFound, StorageError

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


class StepError(Exception):
    """A step gave up (after its retries): which step, and why."""

    def __init__(self, step: str, error: Exception) -> None:
        super().__init__(f"{step}: {error}")
        self.step, self.error = step, error


class PipelineStep(Generic[P, R]):
    """A named step; calling it inside the workflow runs it durably, tracked, with retries."""

    def __init__(self, name: str, durable: Callable[Concatenate[Job, P], R]) -> None:
        self.name = name
        self.number = 0  # its 1-based place in the pipeline, set by `number_steps`
        self._durable = durable

    def __call__(self, job: Job, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the step (again after each transient failure); StepError when it gives up."""
        try:
            return with_retries(job, self.name, lambda: self._durable(job, *args, **kwargs))
        except Exception as exc:
            raise StepError(self.name, exc) from exc


def pipeline_step(
    name: str,
) -> Callable[[Callable[Concatenate[Job, P], R]], PipelineStep[P, R]]:
    """Make `work(job, ...)` the pipeline step `name`: DBOS step, tracking, transient retry."""

    def decorate(work: Callable[Concatenate[Job, P], R]) -> PipelineStep[P, R]:
        def durable(job: Job, /, *args: P.args, **kwargs: P.kwargs) -> R:
            with tracked(job, name, step.number):
                return work(job, *args, **kwargs)

        step = PipelineStep(name, DBOS.step(name=name)(durable))
        return step

    return decorate


def number_steps(*steps: PipelineStep[Any, Any]) -> tuple[str, ...]:
    """Number the steps in the order the workflow runs them; their names, in that order."""
    for number, step in enumerate(steps, 1):
        step.number = number
    return tuple(step.name for step in steps)


def is_transient(error: BaseException) -> bool:
    """Worth retrying: network trouble at the source, in storage or to the database, throttling."""
    if isinstance(error, SourceError):
        return error.retryable
    if is_transient_db_error(error):
        return True
    return isinstance(error, StorageError) and not isinstance(error, ObjectNotFound | InvalidKey)


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


@contextmanager
def tracked(job: Job, name: str, index: int) -> Iterator[None]:
    """Record step `name`'s start and finish (or error); show it as the sample's current step."""
    if index == 0:
        raise RuntimeError(f"step {name} is not numbered: list it in number_steps")
    before_step()  # a draining worker begins no step: it exits and a restart runs it
    sid, generation = uuid.UUID(job.sample_id), job.generation
    runtime = current_runtime()
    with runtime.transaction() as session:
        repo = SampleRepository(session)
        repo.record_step(sid, generation, name, index, started_at=utcnow())
        sample = repo.get(sid)
        if sample is not None and sample.generation == generation:
            sample.step, sample.step_index = name, index
    kill_if_asked(name)  # after the attempt is recorded, as a crash mid-step would leave it
    try:
        yield
    except Exception as exc:
        with runtime.transaction() as session:
            SampleRepository(session).record_step(
                sid, generation, name, index, error=describe(exc)[1]
            )
        raise
    with runtime.transaction() as session:
        repo = SampleRepository(session)
        repo.record_step(sid, generation, name, index, finished_at=utcnow())
        sample = repo.get(sid)
        if is_processing(sample, generation):
            # A retry note from an earlier attempt is stale once the step has succeeded.
            sample.error_code = sample.error_message = None
    kill_if_asked(f"{name}:done")  # the work is done but DBOS has not recorded it yet


# Bookkeeping steps retry on any error (a dropped database connection): if they gave up, the
# sample would stay `processing` forever.
@DBOS.step(
    name="record_retry",
    retries_allowed=True,
    max_attempts=DB_WRITE_ATTEMPTS,
    interval_seconds=DB_WRITE_INTERVAL_SECONDS,
)
def record_retry(sample_id: str, generation: int, step: str, code: str, message: str) -> None:
    """Show why a step failed and when it runs again; the sample stays `processing`."""
    with current_runtime().transaction() as session:
        sample = SampleRepository(session).get(uuid.UUID(sample_id))
        if is_processing(sample, generation):
            sample.error_code, sample.error_message = code, message[:2000]


def with_retries(job: Job, step: str, call: Callable[[], R]) -> R:
    """Run a step; on a retryable failure record why, sleep durably (doubling), run it again.

    Only network trouble, throttling and expired CDN links retry: a deleted or private post
    fails at once. Replays identically after a restart: DBOS records each step's outcome.
    """
    settings = current_runtime().settings
    for attempt in range(1, settings.fetch_attempts + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == settings.fetch_attempts or not is_transient(exc):
                raise
            delay = settings.fetch_retry_seconds * 2 ** (attempt - 1)
            code, message = describe(exc)
            retries = settings.fetch_attempts - 1
            note = f"{message} (retry {attempt} of {retries} in {delay:g} s)"
            log.warning(
                "sample %s g%s: %s: %s: %s", job.sample_id, job.generation, step, code, note
            )
            record_retry(job.sample_id, job.generation, step, code, note)
            with safe_point():  # the sleep is durable: a stopping worker need not wait it out
                DBOS.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
