"""Operations started from the API run on a worker as a durable DBOS workflow: a worker that
dies mid-run resumes it, and every operation handles only its still-pending items."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from dbos import DBOS, SetWorkflowID

from cratedig.models import Operation
from cratedig.operations.tracking import OperationKind, OperationStatus, finish_operation
from cratedig.pipeline.queue import OPERATIONS_QUEUE
from cratedig.runtime import current_runtime

log = logging.getLogger(__name__)


def enqueue_operation(operation_id: uuid.UUID) -> str:
    """Queue a recorded operation for a worker; the id makes a double enqueue harmless."""
    wid = f"operation-{operation_id}"
    with SetWorkflowID(wid):
        DBOS.enqueue_workflow(OPERATIONS_QUEUE, run_operation, str(operation_id))
    return wid


@DBOS.workflow(name="run_operation")
def run_operation(operation_id: str) -> str:
    """Run one operation to its end; returns its final status."""
    return execute_operation(operation_id)


@DBOS.step(name="execute_operation")
def execute_operation(operation_id: str) -> str:
    """Dispatch to the operation's implementation; a crash marks it failed with the reason."""
    op_id = uuid.UUID(operation_id)
    with current_runtime().transaction() as session:
        operation = session.get(Operation, op_id)
        if operation is None:
            return "missing"
        kind, params = OperationKind(operation.kind), dict(operation.params)
    try:
        _dispatch(kind, op_id, params)
    except Exception as exc:
        log.exception("operation %s (%s) failed", op_id, kind.value)
        finish_operation(op_id, OperationStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
        return OperationStatus.FAILED.value
    return OperationStatus.COMPLETED.value


def _dispatch(kind: OperationKind, operation_id: uuid.UUID, params: dict[str, Any]) -> None:
    out = _log_line
    if kind is OperationKind.REPROCESS:
        from cratedig.operations.reprocess import run_reprocess

        run_reprocess(operation_id, bool(params.get("skip_reset")), out)
    elif kind is OperationKind.BACKFILL_HLS:
        from cratedig.operations import backfill_hls

        backfill_hls.run_backfill(operation_id, backfill_hls.BackfillRequest(**params), out)
    elif kind is OperationKind.MIGRATE_MEDIA:
        from cratedig.operations import migrate_media

        migrate_media.run_migration(operation_id, migrate_media.MigrateRequest(**params), out)
    else:
        from cratedig.operations import links

        links.run_check(operation_id, links.CheckLinksRequest(**params), out)


def _log_line(line: str) -> None:
    if line.strip():
        log.info("%s", line.rstrip())
