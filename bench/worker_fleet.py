"""`cratedig worker` processes for benchmarks, and the exactly-once audit of a finished batch."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from dbos import DBOS

from cratedig.models import SampleStatus
from cratedig.pipeline.queue import workflow_id
from cratedig.pipeline.tracking import STEPS
from cratedig.runtime import Runtime
from cratedig.samples.repository import SampleRepository
from cratedig.storage.keys import STAGING, sample_prefix


def start_workers(env: dict[str, str], count: int, logs: Path) -> list[subprocess.Popen[bytes]]:
    """`count` worker processes with stable ids, returned once each says it is running."""
    workers = []
    for n in range(1, count + 1):
        with (logs / f"worker-{n}.log").open("ab") as log:
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "cratedig.cli", "worker"],
                    env=env | {"CRATEDIG_WORKER_ID": f"bench-worker-{n}"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    # All must be listening before work arrives, or the first one up could take it all.
    deadline = time.monotonic() + 120
    files = [logs / f"worker-{n}.log" for n in range(1, count + 1)]
    while not all("running" in f.read_text(errors="replace") for f in files):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            stop_workers(workers)
            tails = "\n".join(f.read_text(errors="replace")[-2000:] for f in files)
            raise SystemExit(f"workers did not start:\n{tails}")
        time.sleep(0.1)
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each worker (it finishes its running steps), then wait for it."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_until_done(runtime: Runtime, ids: list[uuid.UUID], timeout: float = 1800) -> None:
    """Poll until every sample is completed; any failure ends the benchmark."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.transaction() as session:
            repo = SampleRepository(session)
            samples = [repo.get(i) for i in ids]
            failed = [s for s in samples if s is not None and s.status is SampleStatus.FAILED]
            if failed:
                raise SystemExit(f"{len(failed)} failed, e.g. {failed[0].error_message}")
            if all(s is not None and s.status is SampleStatus.COMPLETED for s in samples):
                return
        time.sleep(0.1)
    raise SystemExit(f"samples not completed in {timeout:.0f} s")


@dataclass
class Audit:
    """What a batch left behind, for the exactly-once claims."""

    completed: int
    step_attempts: Counter[int]  # how many step records ran 1, 2, … times
    workflows: int
    steps_recorded_twice: int
    objects_per_sample: Counter[int]  # how many samples have N objects
    staging_left: int
    per_worker: Counter[str]
    seconds_per_sample: list[float]


def audit(runtime: Runtime, ids: list[uuid.UUID]) -> Audit:
    """Count completions, step attempts, DBOS workflows and stored objects of the batch."""
    step_attempts: Counter[int] = Counter()
    seconds = []
    completed = 0
    with runtime.transaction() as session:
        repo = SampleRepository(session)
        for sample_id in ids:
            sample = repo.get(sample_id)
            completed += sample is not None and sample.status is SampleStatus.COMPLETED
            steps = repo.steps_for(sample_id, 0)
            if set(STEPS) != {s.step for s in steps}:
                raise SystemExit(f"sample {sample_id} lacks step records: {steps}")
            step_attempts.update(s.attempts for s in steps)
            first = min(s.started_at for s in steps if s.started_at)
            last = max(s.finished_at for s in steps if s.finished_at)
            seconds.append((last - first).total_seconds())
    mine = {workflow_id(i, 0) for i in ids}
    workflows = [w for w in DBOS.list_workflows(load_input=False) if w.workflow_id in mine]
    twice = 0
    for flow in workflows:
        names = [step["function_name"] for step in DBOS.list_workflow_steps(flow.workflow_id)]
        twice += len(names) - len(set(names))
    objects = Counter(len(runtime.storage.list(sample_prefix(i))) for i in ids)
    return Audit(
        completed=completed,
        step_attempts=step_attempts,
        workflows=sum(w.status == "SUCCESS" for w in workflows),
        steps_recorded_twice=twice,
        objects_per_sample=objects,
        staging_left=len(runtime.storage.list(STAGING)),
        per_worker=Counter(w.executor_id or "?" for w in workflows),
        seconds_per_sample=seconds,
    )
