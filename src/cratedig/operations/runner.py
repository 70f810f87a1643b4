"""The one runner: choose and record a run, handle its pending items (a rerun resumes), count,
record outcomes in batches and finish. Runs started from the API go to a worker as a durable
DBOS workflow; a worker that dies mid-run resumes it there."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from dbos import DBOS, SetWorkflowID

from cratedig.operations import repository
from cratedig.operations.framework import Kind, RunResult, Work, get_kind
from cratedig.operations.states import Item, ItemState, OperationStatus, Outcome, Selection, Tally
from cratedig.pipeline.queue import OPERATIONS_QUEUE
from cratedig.runtime import Runtime, current_runtime

log = logging.getLogger(__name__)
RECORD_EVERY = 200  # item outcomes written per transaction...
RECORD_SECONDS = 2.0  # ...or at least this often, so the API shows live progress


@dataclass(frozen=True)
class Started:
    """A recorded run and what was chosen for it."""

    operation_id: uuid.UUID
    selection: Selection


class Observer:
    """Watches a run (the command line prints it, a worker logs it); does nothing by default."""

    def begin(self, work: Work, items: Sequence[Item]) -> None:
        """The run starts with these pending items."""

    def item(self, index: int, total: int, item: Item, outcome: Outcome) -> None:
        """One item ended (the `index`th of `total`)."""

    def follow_up(self, kind: Kind[Any], started: Started) -> Observer:
        """A follow-up operation starts; returns who watches it."""
        return Observer()

    def end(self, result: RunResult) -> None:
        """The run ended."""


def select_items(
    runtime: Runtime, kind: Kind[Any], request: Any, only: Sequence[uuid.UUID] = ()
) -> Selection:
    """What the kind chooses now (its own transaction, then the slow checks outside it)."""
    with runtime.transaction() as session:
        selection = kind.select(runtime, session, request, only)
    return kind.refine(runtime, request, selection)


def record(
    runtime: Runtime,
    kind: Kind[Any],
    request: Any,
    selection: Selection,
    origin: str,
    extra: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Record the run and its items (pending); a dry run is recorded as one too."""
    params = kind.params(request) | (extra or {})
    with runtime.transaction() as session:
        return repository.create_operation(
            session, kind.name, params, selection.items, dry_run=request.dry_run, origin=origin
        )


def start_operation(
    runtime: Runtime,
    kind: Kind[Any],
    request: Any,
    origin: str,
    only: Sequence[uuid.UUID] = (),
    extra: dict[str, Any] | None = None,
) -> Started:
    """Choose and record a run."""
    selection = select_items(runtime, kind, request, only)
    return Started(record(runtime, kind, request, selection, origin, extra), selection)


def run_operation(
    runtime: Runtime, operation_id: uuid.UUID, observer: Observer | None = None
) -> RunResult:
    """Handle the run's pending items and finish it; a crash leaves the rest pending."""
    observer = observer or Observer()
    with runtime.transaction() as session:
        operation = repository.get_operation(session, operation_id)
        if operation is None:
            raise LookupError(f"no operation {operation_id}")
        kind = get_kind(operation.kind)
        request = kind.load_request(dict(operation.params), operation.dry_run)
        origin = operation.origin
        items = repository.pending_items(session, operation_id)
    work = Work(runtime, operation_id, request, origin)
    result = RunResult(operation_id, kind.name, request, Tally(total=len(items)))
    recorder = _Recorder(runtime, operation_id)
    observer.begin(work, items)
    try:
        outcomes: Iterator[tuple[Item, Outcome]]
        if request.dry_run:
            outcomes = ((item, kind.preview(work, item)) for item in items)
        else:
            outcomes = kind.handle_all(work, items)
        for index, (item, outcome) in enumerate(outcomes, start=1):
            if not request.dry_run:
                recorder.add(item, outcome)
            result.tally.add(item, outcome)
            observer.item(index, len(items), item, outcome)
        recorder.flush()
        if not request.dry_run and (plan := kind.follow_up(work, result.tally)) is not None:
            follow_kind = get_kind(plan.kind)
            started = start_operation(
                runtime, follow_kind, plan.request, origin, plan.only, plan.params
            )
            result.follow_up = run_operation(
                runtime, started.operation_id, observer.follow_up(follow_kind, started)
            )
    except Exception as exc:
        recorder.flush()
        _finish(runtime, operation_id, OperationStatus.FAILED, f"{type(exc).__name__}: {exc}")
        raise
    if request.dry_run:
        message = kind.dry_run_message(Selection(items))
    else:
        message = kind.finish_message(result)
    _finish(runtime, operation_id, OperationStatus.COMPLETED, message)
    observer.end(result)
    return result


def finish_now(runtime: Runtime, operation_id: uuid.UUID, message: str) -> None:
    """Finish a run that has nothing left to do (nothing chosen, or a dry run's listing)."""
    _finish(runtime, operation_id, OperationStatus.COMPLETED, message)


def _finish(
    runtime: Runtime, operation_id: uuid.UUID, status: OperationStatus, message: str
) -> None:
    with runtime.transaction() as session:
        repository.finish_operation(session, operation_id, status, message[:2000])


class _Recorder:
    """Writes outcomes in batches: few transactions, yet live progress for the API."""

    def __init__(self, runtime: Runtime, operation_id: uuid.UUID) -> None:
        self._runtime = runtime
        self._operation_id = operation_id
        self._rows: list[tuple[Item, Outcome]] = []
        self._last = time.monotonic()

    def add(self, item: Item, outcome: Outcome) -> None:
        self._rows.append((item, outcome))
        if len(self._rows) >= RECORD_EVERY or time.monotonic() - self._last >= RECORD_SECONDS:
            self.flush()

    def flush(self) -> None:
        rows, self._rows, self._last = self._rows, [], time.monotonic()
        if rows:
            with self._runtime.transaction() as session:
                repository.record_outcomes(session, self._operation_id, rows)


# --- on a worker -------------------------------------------------------------------------------


def enqueue_operation(operation_id: uuid.UUID) -> str:
    """Queue a recorded operation for a worker; the id makes a double enqueue harmless."""
    wid = f"operation-{operation_id}"
    with SetWorkflowID(wid):
        DBOS.enqueue_workflow(OPERATIONS_QUEUE, run_operation_workflow, str(operation_id))
    return wid


@DBOS.workflow(name="run_operation")
def run_operation_workflow(operation_id: str) -> str:
    """Run one operation to its end; returns its final status."""
    return execute_operation(operation_id)


@DBOS.step(name="execute_operation")
def execute_operation(operation_id: str) -> str:
    """Run the operation here, logging its items; a crash marks it failed with the reason."""
    runtime = current_runtime()
    with runtime.transaction() as session:
        if repository.get_operation(session, uuid.UUID(operation_id)) is None:
            return "missing"
    try:
        run_operation(runtime, uuid.UUID(operation_id), _LogObserver())
    except Exception:
        log.exception("operation %s failed", operation_id)
        return OperationStatus.FAILED.value
    return OperationStatus.COMPLETED.value


class _LogObserver(Observer):
    def item(self, index: int, total: int, item: Item, outcome: Outcome) -> None:
        level = logging.WARNING if outcome.state is ItemState.FAILED else logging.INFO
        log.log(
            level,
            "[%d/%d] %s %s: %s %s",
            index,
            total,
            item.subject.value,
            item.id,
            outcome.state.value,
            outcome.detail or "",
        )

    def follow_up(self, kind: Kind[Any], started: Started) -> Observer:
        log.info("follow-up %s operation %s", kind.name, started.operation_id)
        return self
