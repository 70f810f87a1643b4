"""The broken-link check's engine: every artifact of a sample must be there, in our storage or
at its external URL. The link check and the reprocess's `broken_links_only` share it.

An artifact is broken when a required one is missing, when storage has no object at its key
(an HLS playlist also needs every segment it lists), or when its external URL does not answer
2xx with at least 100 bytes. Checks run on a bounded thread pool, one probe per object or URL,
with one shared HTTP client whose every request has a timeout; private addresses are refused.
"""

from __future__ import annotations

import queue
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from cratedig.artifacts import SAMPLE_ARTIFACTS, is_external
from cratedig.operations.library_repository import artifact_rows
from cratedig.operations.link_probes import Kind, Outcome, Probe, Prober
from cratedig.runtime import Runtime

LOAD_CHUNK = 500  # sample rows read per query
_REPORT_ORDER = [artifact.name for artifact in SAMPLE_ARTIFACTS]


@dataclass(frozen=True)
class BrokenArtifact:
    """One broken artifact of a sample, and why."""

    artifact: str  # the artifact's name, e.g. "mp3", or "hls" for playlist/segments
    value: str | None  # the key or URL checked (None when missing)
    reason: str


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
    never_had_media: bool = False  # not completed and not one artifact: nothing to break


def check_samples(
    runtime: Runtime,
    sample_ids: Sequence[uuid.UUID],
    concurrency: int = 32,
    timeout: float = 10.0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[uuid.UUID, list[BrokenArtifact]]:
    """Check every artifact of these samples; only the broken samples appear in the answer.
    Rows are read in short transactions of its own: call it with none open."""
    broken: dict[uuid.UUID, list[BrokenArtifact]] = {}
    checks = iter_checks(runtime, sample_ids, concurrency, timeout)
    for done, check in enumerate(checks, start=1):
        if check.broken:
            broken[check.sample_id] = check.broken
        if progress is not None:
            progress(done, len(sample_ids))
    return broken


def iter_checks(
    runtime: Runtime,
    sample_ids: Sequence[uuid.UUID],
    concurrency: int = 32,
    timeout: float = 10.0,
) -> Iterator[SampleCheck]:
    """Each sample's verdict as soon as all its probes are back (not in input order)."""
    prober = Prober(runtime.storage, runtime.settings.allowed_hosts, concurrency, timeout)
    finished: queue.SimpleQueue[Future[Outcome]] = queue.SimpleQueue()
    checks: dict[uuid.UUID, SampleCheck] = {}
    outstanding: dict[uuid.UUID, int] = {}
    ready: deque[Probe] = deque()
    rows = _planned(runtime, sample_ids)
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
    return _REPORT_ORDER.index(item.artifact), item.value or ""


def _planned(
    runtime: Runtime, sample_ids: Sequence[uuid.UUID]
) -> Iterator[tuple[SampleCheck, list[Probe]]]:
    """Each sample (read in chunks) with its missing artifacts and the probes it needs."""
    for start in range(0, len(sample_ids), LOAD_CHUNK):
        chunk = list(sample_ids[start : start + LOAD_CHUNK])
        with runtime.transaction() as session:
            rows = artifact_rows(session, chunk)
        for sample_id in chunk:
            row = rows.get(sample_id)
            if row is None:
                yield SampleCheck(sample_id, found=False), []
                continue
            check = SampleCheck(sample_id, creator=row.creator, status=row.status.value)
            if row.status.value != "completed" and not any(row.values.values()):
                check.never_had_media = True
                yield check, []
                continue
            probes = []
            for artifact in SAMPLE_ARTIFACTS:
                value = row.values[artifact.name]
                if not value:
                    if artifact.required:
                        check.artifacts += 1
                        check.broken.append(BrokenArtifact(artifact.name, None, "missing"))
                    continue
                check.artifacts += 1
                kind: Kind = "url" if is_external(value) else "object"
                if kind == "object" and artifact.folder is not None:
                    kind = "playlist"
                probes.append(Probe(sample_id, artifact.name, value, kind))
            yield check, probes
