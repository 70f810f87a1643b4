"""`--follow`: a progress bar for an operation until its work is done."""

from __future__ import annotations

import sys
import time
import uuid

from cratedig.operations.console import Output, say
from cratedig.operations.repository import operation_report
from cratedig.operations.schemas import OperationOut
from cratedig.runtime import current_runtime

BAR_WIDTH = 30


def progress_of(report: OperationOut) -> tuple[int, int]:
    """(finished, total): pipelines run to the end for a reprocess, items for the others."""
    if report.pipeline is not None:
        pipeline = report.pipeline
        finished = pipeline.completed + pipeline.failed + pipeline.superseded
        return finished, report.items.queued + report.items.pending
    return report.items.total - report.items.pending, report.items.total


def progress_line(report: OperationOut) -> str:
    """`[#####.....] 12/40 …` with the counts that matter for the kind."""
    finished, total = progress_of(report)
    filled = BAR_WIDTH * finished // total if total else BAR_WIDTH
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    if report.pipeline is not None:
        p = report.pipeline
        detail = f"completed {p.completed}, failed {p.failed}, processing {p.processing}"
        detail += f", queued {p.queued}"
    else:
        i = report.items
        detail = f"done {i.done}, failed {i.failed}, skipped {i.skipped}"
    return f"[{bar}] {finished}/{total} {detail}"


def is_finished(report: OperationOut) -> bool:
    """True when the run ended and (for a reprocess) every pipeline it queued has ended."""
    finished, total = progress_of(report)
    return report.status != "running" and finished >= total


def follow_operation(
    operation_id: uuid.UUID,
    *,
    poll_seconds: float = 1.0,
    timeout: float | None = None,
    out: Output = say,
) -> OperationOut | None:
    """Show the bar until the operation is finished (or `timeout` seconds pass)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    live = sys.stdout.isatty() and out is say
    last = ""
    while True:
        with current_runtime().transaction() as session:
            report = operation_report(session, operation_id)
        if report is None:
            out(f"no operation {operation_id}")
            return None
        line = progress_line(report)
        if line != last:
            if live:
                print("\r" + line, end="", flush=True)
            else:
                out(line)
            last = line
        if is_finished(report) or (deadline is not None and time.monotonic() > deadline):
            if live:
                print(flush=True)
            return report
        time.sleep(poll_seconds)
