"""Broken-link check: every artifact of a sample must be there, in our storage or at its
external URL. `cratedig check-links` and the reprocess's `broken_links_only` share it.

An artifact is broken when a required one is missing, when storage has no object at its key
(an HLS playlist also needs every segment it lists), or when its external URL does not answer
2xx with at least 100 bytes. Checks run on a bounded thread pool, one probe per object or URL,
with one shared HTTP client whose every request has a timeout; private addresses are refused.
"""

from __future__ import annotations

import argparse
import queue
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cratedig.models import Creator, Operation, OperationItem, Sample, SampleStatus, utcnow
from cratedig.operations.artifacts import REQUIRED, SAMPLE_FILES, is_external
from cratedig.operations.console import RULE, Output, operation_runtime, positive_int, say
from cratedig.operations.link_probes import Kind, Outcome, Probe, Prober
from cratedig.operations.tracking import (
    ItemState,
    OperationKind,
    OperationStatus,
    Subject,
    create_operation,
    finish_operation,
    pending_items,
    set_items,
)
from cratedig.runtime import current_runtime
from cratedig.storage import StorageError

LOAD_CHUNK = 500  # sample rows read per query
RECORD_EVERY = 200  # item outcomes written per transaction...
RECORD_SECONDS = 2.0  # ...or at least this often, so the API shows live progress


@dataclass(frozen=True)
class BrokenArtifact:
    """One broken artifact of a sample, and why."""

    artifact: str  # column prefix, e.g. "mp3", or "hls" for playlist/segments
    value: str | None  # the key or URL checked (None when missing)
    reason: str


@dataclass(frozen=True)
class CheckLinksRequest:
    """Which samples to check, and whether to reprocess the broken ones."""

    status: SampleStatus | None = None
    limit: int | None = None
    repair: bool = False

    def __post_init__(self) -> None:
        # Operation params are JSON: a resumed run gets the status back as text.
        if self.status is not None:
            object.__setattr__(self, "status", SampleStatus(self.status))
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, not {self.limit}")


@dataclass
class CheckSummary:
    """What a run found (and queued for repair)."""

    operation_id: uuid.UUID
    checked: int = 0
    healthy: int = 0
    broken: int = 0
    broken_artifacts: int = 0
    repaired: int = 0


@dataclass
class SampleCheck:
    """One sample's verdict: who it is, what is broken, how much was looked at."""

    sample_id: uuid.UUID
    found: bool = True
    creator: str | None = None
    status: str = ""
    broken: list[BrokenArtifact] = field(default_factory=list)
    artifacts: int = 0  # artifact columns judged
    probes: int = 0  # objects and URLs looked at (HLS segments included)


# --- checking ---------------------------------------------------------------------------------


def check_samples(
    sample_ids: Sequence[uuid.UUID],
    *,
    concurrency: int = 32,
    timeout: float = 10.0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[uuid.UUID, list[BrokenArtifact]]:
    """Check every artifact of these samples; only the broken samples appear in the answer."""
    broken: dict[uuid.UUID, list[BrokenArtifact]] = {}
    for done, check in enumerate(iter_checks(sample_ids, concurrency, timeout), start=1):
        if check.broken:
            broken[check.sample_id] = check.broken
        if progress is not None:
            progress(done, len(sample_ids))
    return broken


def iter_checks(
    sample_ids: Sequence[uuid.UUID], concurrency: int = 32, timeout: float = 10.0
) -> Iterator[SampleCheck]:
    """Each sample's verdict as soon as all its probes are back (not in input order)."""
    runtime = current_runtime()
    prober = Prober(runtime.storage, runtime.settings.allowed_hosts, concurrency, timeout)
    finished: queue.SimpleQueue[Future[Outcome]] = queue.SimpleQueue()
    checks: dict[uuid.UUID, SampleCheck] = {}
    outstanding: dict[uuid.UUID, int] = {}
    ready: deque[Probe] = deque()
    rows = _planned(sample_ids)
    in_flight, window = 0, concurrency * 4
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="check-links")
    try:
        while True:
            while in_flight < window:
                if not ready:
                    planned = next(rows, None)
                    if planned is None:
                        break
                    check, probes = planned
                    if not probes:
                        yield check
                        continue
                    checks[check.sample_id], outstanding[check.sample_id] = check, len(probes)
                    ready.extend(probes)
                probe = ready.popleft()
                pool.submit(prober.run, probe).add_done_callback(finished.put)
                in_flight += 1
            if in_flight == 0:
                return
            outcome = finished.get().result()  # a storage outage raises here and ends the run
            in_flight -= 1
            probe = outcome.probe
            check = checks[probe.sample_id]
            check.probes += 1
            if outcome.reason is not None:
                check.broken.append(BrokenArtifact(probe.artifact, probe.value, outcome.reason))
            outstanding[probe.sample_id] += len(outcome.more) - 1
            ready.extendleft(reversed(outcome.more))  # finish started samples first
            if outstanding[probe.sample_id] == 0:
                del outstanding[probe.sample_id]
                check.broken.sort(key=_in_column_order)  # probes finish in any order
                yield checks.pop(probe.sample_id)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        prober.close()


def _in_column_order(item: BrokenArtifact) -> tuple[int, str]:
    return list(SAMPLE_FILES).index(item.artifact), item.value or ""


def _planned(sample_ids: Sequence[uuid.UUID]) -> Iterator[tuple[SampleCheck, list[Probe]]]:
    """Each sample (read in chunks) with its missing artifacts and the probes it needs."""
    columns = [getattr(Sample, f"{prefix}_key") for prefix in SAMPLE_FILES]
    for start in range(0, len(sample_ids), LOAD_CHUNK):
        chunk = list(sample_ids[start : start + LOAD_CHUNK])
        with current_runtime().transaction() as session:
            query = (
                select(Sample.id, Sample.status, Creator.username, *columns)
                .outerjoin(Creator, Creator.id == Sample.creator_id)
                .where(Sample.id.in_(chunk))
            )
            rows = {row[0]: row for row in session.execute(query)}
        for sample_id in chunk:
            row = rows.get(sample_id)
            if row is None:
                yield SampleCheck(sample_id, found=False), []
                continue
            check = SampleCheck(sample_id, creator=row[2], status=SampleStatus(row[1]).value)
            probes = []
            for prefix, value in zip(SAMPLE_FILES, row[3:], strict=True):
                if not value:
                    if prefix in REQUIRED:
                        check.artifacts += 1
                        check.broken.append(BrokenArtifact(prefix, None, "missing"))
                    continue
                check.artifacts += 1
                kind: Kind = "url" if is_external(value) else "object"
                if kind == "object" and prefix == "hls":
                    kind = "playlist"
                probes.append(Probe(sample_id, prefix, value, kind))
            yield check, probes


# --- the operation ----------------------------------------------------------------------------


def select_samples(session: Session, request: CheckLinksRequest) -> list[uuid.UUID]:
    """Samples in the status asked (any when None), oldest first, up to the limit."""
    query = select(Sample.id).order_by(Sample.created_at, Sample.id)
    if request.status is not None:
        query = query.where(Sample.status == request.status)
    if request.limit is not None:
        query = query.limit(request.limit)
    return list(session.scalars(query))


def start_check(
    request: CheckLinksRequest, origin: str = "api"
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Choose the samples and record the run with them (pending); its id and the samples."""
    with current_runtime().transaction() as session:
        ids = select_samples(session, request)
    params = {
        "status": request.status.value if request.status else None,
        "limit": request.limit,
        "repair": request.repair,
    }
    subjects = [(Subject.SAMPLE, sample_id) for sample_id in ids]
    return create_operation(OperationKind.CHECK_LINKS, params, subjects, origin=origin), ids


def run_check(
    operation_id: uuid.UUID, request: CheckLinksRequest, out: Output = say
) -> CheckSummary:
    """Check the run's pending samples (a rerun resumes); with `repair`, reprocess the broken."""
    ids = pending_items(operation_id, Subject.SAMPLE)
    summary = CheckSummary(operation_id)
    out(RULE)
    out("Checking sample media links")
    out(RULE)
    out(f"\nChecking {len(ids)} samples...")
    recorder = _Recorder(operation_id)
    broken: list[SampleCheck] = []
    seen = 0
    try:
        for check in iter_checks(ids):
            seen += 1
            _count(check, summary, recorder, broken)
            if seen * 10 // len(ids) != (seen - 1) * 10 // len(ids):
                out(f"  checked {seen}/{len(ids)} ({summary.broken} broken)")
    except StorageError as exc:
        recorder.flush()
        finish_operation(operation_id, OperationStatus.FAILED, f"storage error: {exc}")
        raise
    recorder.flush()
    order = {sample_id: index for index, sample_id in enumerate(ids)}
    for check in sorted(broken, key=lambda c: order[c.sample_id]):
        _say_broken(check, out)
    if request.repair:
        summary.repaired = _repair(operation_id, out)
    _say_summary(summary, request.repair, out)
    message = f"{summary.broken} of {summary.checked} samples broken"
    if request.repair:
        message += f"; reprocess triggered for {summary.repaired}"
    finish_operation(operation_id, OperationStatus.COMPLETED, message)
    return summary


def _count(
    check: SampleCheck, summary: CheckSummary, recorder: _Recorder, broken: list[SampleCheck]
) -> None:
    if not check.found:
        recorder.add(check.sample_id, ItemState.SKIPPED, "sample no longer exists")
        return
    summary.checked += 1
    if check.broken:
        summary.broken += 1
        summary.broken_artifacts += len(check.broken)
        broken.append(check)
        detail = "; ".join(f"{b.artifact}: {b.reason}" for b in check.broken)
        recorder.add(check.sample_id, ItemState.FAILED, detail)
    else:
        summary.healthy += 1
        recorder.add(check.sample_id, ItemState.DONE, None)


class _Recorder:
    """Writes item outcomes in batches: few transactions, yet live progress for the API."""

    def __init__(self, operation_id: uuid.UUID) -> None:
        self._operation_id = operation_id
        self._rows: list[tuple[uuid.UUID, ItemState, str | None]] = []
        self._last = time.monotonic()

    def add(self, sample_id: uuid.UUID, state: ItemState, detail: str | None) -> None:
        self._rows.append((sample_id, state, detail))
        if len(self._rows) >= RECORD_EVERY or time.monotonic() - self._last > RECORD_SECONDS:
            self.flush()

    def flush(self) -> None:
        rows, self._rows, self._last = self._rows, [], time.monotonic()
        healthy = [sample_id for sample_id, state, _ in rows if state is ItemState.DONE]
        set_items(self._operation_id, Subject.SAMPLE, healthy, ItemState.DONE)
        others = [row for row in rows if row[1] is not ItemState.DONE]
        if not others:
            return
        now = utcnow()
        with current_runtime().transaction() as session:
            session.execute(
                update(OperationItem),
                [
                    {
                        "operation_id": self._operation_id,
                        "subject_type": Subject.SAMPLE.value,
                        "subject_id": sample_id,
                        "state": state.value,
                        "detail": detail,
                        "updated_at": now,
                    }
                    for sample_id, state, detail in others
                ],
            )


def _repair(operation_id: uuid.UUID, out: Output) -> int:
    """Reprocess every sample this run found broken (earlier passes of a resumed run too)."""
    with current_runtime().transaction() as session:
        operation = session.get(Operation, operation_id)
        origin = operation.origin if operation else "cli"
        ids = list(
            session.scalars(
                select(OperationItem.subject_id)
                .where(
                    OperationItem.operation_id == operation_id,
                    OperationItem.state == ItemState.FAILED.value,
                )
                .order_by(OperationItem.position)
            )
        )
    if not ids:
        return 0
    from cratedig.operations.reprocess import reprocess_samples

    out(f"\nRepairing: reprocessing {len(ids)} broken samples...")
    params: dict[str, Any] = {"check_links_operation": str(operation_id)}
    result = reprocess_samples(ids, origin=origin, out=out, params=params)
    out(f"\nReprocess operation: {result.operation_id}")
    return result.triggered


def _say_broken(check: SampleCheck, out: Output) -> None:
    creator = f"@{check.creator}" if check.creator else "(unknown)"
    out(f"\n✗ {check.sample_id} {creator} {check.status}")
    for item in check.broken:
        shown = f" ({item.value})" if is_external(item.value) else ""
        out(f"    {item.artifact}: {item.reason}{shown}")


def _say_summary(summary: CheckSummary, repair: bool, out: Output) -> None:
    out("\n" + RULE)
    out("LINK CHECK COMPLETE")
    out(RULE + "\n")
    out(f"Checked: {summary.checked}")
    out(f"Healthy: {summary.healthy}")
    out(f"Broken: {summary.broken}")
    out(f"Broken artifacts: {summary.broken_artifacts}")
    if repair:
        out(f"Reprocess triggered: {summary.repaired}")
    out(RULE)


# --- the command: cratedig check-links ----------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--status, --limit, --repair."""
    parser.add_argument(
        "--status", choices=[s.value for s in SampleStatus], help="only samples in this status"
    )
    parser.add_argument("--limit", type=positive_int, help="at most N samples (oldest first)")
    parser.add_argument("--repair", action="store_true", help="reprocess the samples found broken")


def run_command(args: argparse.Namespace) -> int:
    """Run the check; 0 when nothing is broken (or all of it was queued for repair)."""
    request = CheckLinksRequest(
        status=SampleStatus(args.status) if args.status else None,
        limit=args.limit,
        repair=args.repair,
    )
    with operation_runtime(enqueue=request.repair):
        operation_id, _ = start_check(request, origin="cli")
        try:
            summary = run_check(operation_id, request)
        except StorageError as exc:
            say(f"\n✗ Storage error, the check stopped: {exc}")
            return 1
    return 0 if summary.broken <= summary.repaired else 1
