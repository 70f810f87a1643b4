"""Start DBOS, register the samples queue, and enqueue sample workflows idempotently."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from dbos import DBOS, DBOSClient, SetWorkflowID
from dbos._error import DBOSException

from cratedig import __version__
from cratedig.config import Settings

QUEUE = "samples"
OPERATIONS_QUEUE = "operations"
_launched_as: str | None = None  # this process's DBOS executor id, once launched
# Bump when a change makes old in-flight workflows unsafe to resume with new code.
PIPELINE_VERSION = "1"
APP_VERSION = f"{__version__}+p{PIPELINE_VERSION}"
_bulk: tuple[DBOSClient, sa.Engine] | None = None  # for bulk enqueues, made on first use


def workflow_id(sample_id: uuid.UUID | str, generation: int) -> str:
    """One workflow per sample generation: a double submit or double click starts nothing new."""
    return f"sample-{sample_id}-g{generation}"


def enqueue_samples(items: Sequence[tuple[uuid.UUID, int]], system_database_url: str) -> None:
    """Queue many pipelines in one system-database transaction (a bulk reprocess).

    Hundreds of rows per transaction instead of one each: 10,000 samples queue in seconds. If
    one of them is already queued the transaction aborts; then each is queued on its own, which
    skips existing ones.
    """
    global _bulk
    if _bulk is None:
        engine = sa.create_engine(system_database_url)
        _bulk = (DBOSClient(system_database_engine=engine), engine)
    client, engine = _bulk
    try:
        with engine.begin() as connection:
            for sample_id, generation in items:
                client.enqueue_in_transaction(
                    connection,
                    {
                        "queue_name": QUEUE,
                        "workflow_name": "process_sample",
                        "workflow_id": workflow_id(sample_id, generation),
                        "app_version": APP_VERSION,
                    },
                    str(sample_id),
                    generation,
                )
    except (sa.exc.IntegrityError, DBOSException):
        for sample_id, generation in items:
            enqueue_sample(sample_id, generation)


def start_dbos(settings: Settings, *, worker: bool) -> None:
    """Launch DBOS; a worker dequeues samples, an API-only process just enqueues."""
    from cratedig.operations import runner  # noqa: F401  (registers the operation workflow)
    from cratedig.pipeline import workflows  # noqa: F401  (registers the workflow functions)

    global _launched_as
    executor = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
    _launched_as = executor if worker else f"api-{executor}"
    DBOS(
        config={
            "name": "cratedig",
            "system_database_url": settings.system_database_url,
            "application_version": APP_VERSION,
            "executor_id": _launched_as,
            "log_level": "WARNING",
        }
    )
    if not worker:
        DBOS.listen_queues([])
    DBOS.launch()
    DBOS.register_queue(
        QUEUE,
        worker_concurrency=settings.worker_concurrency,
        global_concurrency=settings.global_concurrency,
        # TikTok throttles: pace how often pipelines (and so source fetches) start.
        limiter={"limit": settings.fetch_rate_per_minute, "period": 60.0},
        polling_interval_sec=0.2,
        on_conflict="always_update",
    )
    # Bulk operations: one at a time per worker (each one is already concurrent inside).
    DBOS.register_queue(
        OPERATIONS_QUEUE,
        worker_concurrency=1,
        polling_interval_sec=0.5,
        on_conflict="always_update",
    )


def stop_dbos(grace_seconds: int = 10) -> None:
    """Shut DBOS down, letting running steps finish (up to `grace_seconds`)."""
    global _bulk
    if _bulk is not None:
        client, engine = _bulk
        client.destroy()
        engine.dispose()  # the client leaves an engine it was given alone
        _bulk = None
    DBOS.destroy(workflow_completion_timeout_sec=grace_seconds if _busy() else 0)


def _busy() -> bool:
    """True when this process has workflows running (DBOS's wait always sleeps a second)."""
    if _launched_as is None:
        return False
    return bool(
        DBOS.list_workflows(
            status="PENDING", executor_id=_launched_as, limit=1, load_input=False, load_output=False
        )
    )


def active_sample_workflows() -> set[str]:
    """Ids of sample pipelines queued or running now (DBOS's own view)."""
    workflows = DBOS.list_workflows(
        status=["ENQUEUED", "PENDING"], queue_name=QUEUE, load_input=False, load_output=False
    )
    return {w.workflow_id for w in workflows}


def cancel_sample(sample_id: uuid.UUID, generation: int) -> None:
    """Stop a sample's workflow (for deletion); steps already running finish first."""
    DBOS.cancel_workflow(workflow_id(sample_id, generation))


def enqueue_sample(sample_id: uuid.UUID, generation: int) -> str:
    """Queue the pipeline for a committed sample row; returns the workflow id."""
    from cratedig.pipeline.workflows import process_sample

    wid = workflow_id(sample_id, generation)
    with SetWorkflowID(wid):
        DBOS.enqueue_workflow(QUEUE, process_sample, str(sample_id), generation)
    return wid
