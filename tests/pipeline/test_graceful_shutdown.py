"""SIGTERM to a `cratedig worker` in the middle of process_audio (PostgreSQL): the worker lets
the step finish and be recorded, begins no other, and exits 0; with no grace time the step is
left to run again. Either way the restarted worker completes the sample, nothing published
half-way. A durable retry sleep does not hold the shutdown up."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

from dbos import DBOS

from cratedig.models import SampleStatus
from cratedig.pipeline.queue import enqueue_sample, workflow_id
from cratedig.pipeline.tracking import STEPS
from cratedig.runtime import Runtime
from cratedig.samples.repository import SampleRepository
from cratedig.storage.keys import AUDIO_MP3, staging_key
from tests.fixtures.http_server import LoopbackServer, Route, loopback_server
from tests.fixtures.temp_folders import job_folders
from tests.pipeline.conftest import add_url_sample
from tests.pipeline.test_workers import start_worker, stop_worker
from tests.pipeline.worker_processes import (
    WorkerSide,
    api_side,  # noqa: F401  (fixture)
    assert_completed_and_exact,
    assert_steps_recorded_once,
    finish_with_worker,
    load_sample,
    run_until_signalled,
    step_attempts,
    worker_side,  # noqa: F401  (fixture)
)

BEFORE_AUDIO = STEPS[: STEPS.index("process_audio")]


def _recorded_steps(sample_id: uuid.UUID) -> list[str]:
    return [step["function_name"] for step in DBOS.list_workflow_steps(workflow_id(sample_id, 0))]


def _audio_finished(runtime: Runtime, sample_id: uuid.UUID) -> bool:
    with runtime.transaction() as session:
        steps = SampleRepository(session).steps_for(sample_id, 0)
        return any(s.step == "process_audio" and s.finished_at is not None for s in steps)


def test_sigterm_lets_the_running_step_finish_and_the_restart_goes_on_from_there(
    worker_side: WorkerSide,  # noqa: F811
    media_server: LoopbackServer,
    tmp_path: Path,
) -> None:
    runtime, env, temp = worker_side
    log = tmp_path / "worker.log"
    sample_id = add_url_sample(runtime, f"{media_server.base}/clip.mp4")
    enqueue_sample(sample_id, 0)
    patient = env | {"CRATEDIG_SHUTDOWN_GRACE_SECONDS": "120"}
    assert (
        run_until_signalled(patient, "worker-t", log, "process_audio", "SIGTERM", (sample_id, 0))
        == 0
    )
    assert "running steps finished and recorded" in log.read_text()
    # The step finished and DBOS recorded it; the next one never began; nothing published.
    assert step_attempts(runtime, sample_id, 0) == dict.fromkeys(
        (*BEFORE_AUDIO, "process_audio"), 1
    )
    assert _audio_finished(runtime, sample_id)
    assert _recorded_steps(sample_id)[-1] == "process_audio"
    down = load_sample(runtime, sample_id)
    assert (down.status, down.step, down.mp3_key) == (
        SampleStatus.PROCESSING,
        "process_audio",
        None,
    )
    assert runtime.storage.exists(staging_key(sample_id, 0, AUDIO_MP3))
    assert not job_folders(temp)  # the step removed its job directory

    finish_with_worker(env, "worker-t", log, sample_id, 0)
    assert step_attempts(runtime, sample_id, 0) == dict.fromkeys(STEPS, 1)
    assert_steps_recorded_once(sample_id, 0)
    assert_completed_and_exact(runtime, sample_id, temp)


def test_sigterm_without_grace_time_leaves_the_running_step_to_run_again(
    worker_side: WorkerSide,  # noqa: F811
    media_server: LoopbackServer,
    tmp_path: Path,
) -> None:
    runtime, env, _temp = worker_side
    log = tmp_path / "worker.log"
    sample_id = add_url_sample(runtime, f"{media_server.base}/clip.mp4")
    enqueue_sample(sample_id, 0)
    hasty = env | {"CRATEDIG_SHUTDOWN_GRACE_SECONDS": "0"}
    assert (
        run_until_signalled(hasty, "worker-t", log, "process_audio", "SIGTERM", (sample_id, 0)) == 0
    )
    assert "unfinished steps will run again" in log.read_text()
    assert "process_audio" not in _recorded_steps(sample_id)
    down = load_sample(runtime, sample_id)
    assert (down.status, down.mp3_key) == (SampleStatus.PROCESSING, None)

    finish_with_worker(env, "worker-t", log, sample_id, 0)
    assert step_attempts(runtime, sample_id, 0) == dict.fromkeys(STEPS, 1) | {"process_audio": 2}
    assert_steps_recorded_once(sample_id, 0)
    # The abandoned step's ffmpeg may still be writing its own temp dir: not checked here.
    assert_completed_and_exact(runtime, sample_id, None)


def test_sigterm_does_not_wait_out_a_durable_retry_sleep(
    worker_side: WorkerSide,  # noqa: F811
    tmp_path: Path,
) -> None:
    runtime, env, _temp = worker_side
    log = tmp_path / "worker.log"
    # The source is down, so fetch_source waits 600 s before its retry; the grace is as long,
    # and the test's patience far shorter: the worker must leave at once.
    slow = env | {"CRATEDIG_FETCH_RETRY_SECONDS": "600", "CRATEDIG_SHUTDOWN_GRACE_SECONDS": "600"}
    with loopback_server({"/busy.mp4": Route(503, b"busy")}) as server:
        sample_id = add_url_sample(runtime, f"{server.base}/busy.mp4")
        enqueue_sample(sample_id, 0)
        process = start_worker(slow, "worker-s", log)
        try:
            deadline = time.monotonic() + 120
            while "retry 1 of" not in (load_sample(runtime, sample_id).error_message or ""):
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=120) == 0
        finally:
            stop_worker(process)
    assert "running steps finished and recorded" in log.read_text()
    assert step_attempts(runtime, sample_id, 0) == {"mark_processing": 1, "fetch_source": 1}
    assert load_sample(runtime, sample_id).status is SampleStatus.PROCESSING
