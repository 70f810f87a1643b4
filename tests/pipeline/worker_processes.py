"""Helpers for crash and shutdown tests of real `cratedig worker` processes on PostgreSQL:
an environment with one pipeline at a time and a private temp dir, and checks that a
sample's step records and storage are exactly what a clean run leaves."""

from __future__ import annotations

import posixpath
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from dbos import DBOS

from cratedig.artifacts import SAMPLE_ARTIFACTS
from cratedig.models import Sample, SampleStatus
from cratedig.pipeline.queue import workflow_id
from cratedig.pipeline.tracking import STEPS
from cratedig.runtime import Runtime, current_runtime
from cratedig.samples.repository import SampleRepository
from tests.fixtures.temp_folders import job_folders, process_folders
from tests.pipeline.test_workers import api_side, start_worker, stop_worker

__all__ = ["WorkerSide", "api_side", "worker_side"]

WorkerSide = tuple[Runtime, dict[str, str], Path]


@pytest.fixture
def worker_side(api_side: tuple[Runtime, dict[str, str]], tmp_path: Path) -> WorkerSide:
    """The API side, and worker env with one pipeline at a time and its own TMPDIR."""
    runtime, env = api_side
    temp = tmp_path / "worker-tmp"
    temp.mkdir()
    return runtime, env | {"CRATEDIG_WORKER_CONCURRENCY": "1", "TMPDIR": str(temp)}, temp


def describe_workflow(sample_id: uuid.UUID, generation: int) -> str:
    """Who ran a generation's workflow and how it ended (for failure messages)."""
    status = DBOS.get_workflow_status(workflow_id(sample_id, generation))
    row = load_sample(current_runtime(), sample_id)
    about_row = f"sample {row.status} at {row.step}: {row.error_code} {row.error_message}"
    if status is None:
        return f"no workflow; {about_row}"
    return f"workflow {status.status} on {status.executor_id}: {status.error}; {about_row}"


def run_until_signalled(
    env: dict[str, str],
    worker_id: str,
    log: Path,
    point: str,
    signal_name: str = "SIGKILL",
    sample: tuple[uuid.UUID, int] | None = None,
) -> int:
    """Start a worker that signals itself at `point`; wait for it to exit; its return code."""
    extra = {
        "CRATEDIG_FAULT_KILL_AT_STEP": point,
        "CRATEDIG_FAULT_SIGNAL": signal_name,
        "PYTHONFAULTHANDLER": "1",  # SIGABRT on a timeout dumps every thread's stack to the log
    }
    process = start_worker(env | extra, worker_id, log)
    try:
        return process.wait(timeout=240)  # worker start-up alone takes ~10 s on a busy machine
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        about = describe_workflow(*sample) if sample else ""
        message = f"the worker never reached {point} ({about}):\n{log.read_text()}"
        raise AssertionError(message) from None


def load_sample(runtime: Runtime, sample_id: uuid.UUID) -> Sample:
    """The sample row, detached (columns loaded)."""
    with runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None
        session.expunge(sample)
        return sample


def step_attempts(runtime: Runtime, sample_id: uuid.UUID, generation: int) -> dict[str, int]:
    """How many times each step of a generation began."""
    with runtime.transaction() as session:
        rows = SampleRepository(session).steps_for(sample_id, generation)
        return {row.step: row.attempts for row in rows}


def assert_steps_recorded_once(sample_id: uuid.UUID, generation: int) -> None:
    """DBOS recorded each step of the generation's workflow once, in pipeline order."""
    wid = workflow_id(sample_id, generation)
    recorded = [step["function_name"] for step in DBOS.list_workflow_steps(wid)]
    assert [name for name in recorded if name in STEPS] == list(STEPS)
    assert len(recorded) == len(set(recorded)), recorded


def served_keys(runtime: Runtime, sample: Sample) -> set[str]:
    """Every key the row points at, plus the HLS segments its playlist names."""
    keys = {artifact.stored(sample) for artifact in SAMPLE_ARTIFACTS} - {None}
    if sample.hls_key:
        playlist = runtime.storage.get_bytes(sample.hls_key).decode()
        folder = posixpath.dirname(sample.hls_key)
        keys |= {
            f"{folder}/{line.strip()}"
            for line in playlist.splitlines()
            if line.strip() and not line.startswith("#")
        }
    return keys


def assert_completed_and_exact(runtime: Runtime, sample_id: uuid.UUID, temp: Path | None) -> Sample:
    """Completed; storage holds exactly the served objects (no orphan, no staging, none
    missing), each of the size the row records; no job directory left in `temp`."""
    sample = load_sample(runtime, sample_id)
    assert sample.status is SampleStatus.COMPLETED, (sample.status, sample.error_message)
    stored = {item.key: item.size for item in runtime.storage.list()}
    assert set(stored) == served_keys(runtime, sample)
    for artifact in SAMPLE_ARTIFACTS:
        key = artifact.stored(sample)
        if key and artifact.folder is None and artifact.bytes_column:
            assert stored[key] == getattr(sample, artifact.bytes_column), key
    if temp is not None:
        assert not job_folders(temp)
        assert not process_folders(temp)  # the stopped worker removed its own
    return sample


def wait_for_workflow(sample_id: uuid.UUID, generation: int, timeout: float = 120.0) -> str:
    """Poll until the generation's workflow has finished; its status (SUCCESS expected)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = DBOS.get_workflow_status(workflow_id(sample_id, generation))
        if status is not None and status.status not in ("PENDING", "ENQUEUED"):
            return str(status.status)
        time.sleep(0.2)
    raise AssertionError(f"workflow of generation {generation} unfinished after {timeout} s")


def finish_with_worker(
    env: dict[str, str], worker_id: str, log: Path, sample_id: uuid.UUID, generation: int
) -> None:
    """Run a worker (no fault) until the generation's workflow succeeds, then stop it."""
    process = start_worker(env, worker_id, log)
    try:
        assert wait_for_workflow(sample_id, generation) == "SUCCESS", log.read_text()
    finally:
        stop_worker(process)
    assert process.returncode == 0, log.read_text()
