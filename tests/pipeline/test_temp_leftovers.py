"""No job folder outlives its worker (PostgreSQL, real `cratedig worker` processes, a source
that drips so the download stalls mid-job): the folder of a worker killed with -9 is swept by
the next worker's start, and a worker stopped by SIGTERM leaves no folder at all."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from cratedig.pipeline.queue import enqueue_sample
from tests.fixtures.temp_folders import job_folders, process_folders
from tests.pipeline.conftest import add_url_sample
from tests.pipeline.test_workers import start_worker, stop_worker
from tests.pipeline.worker_processes import (
    WorkerSide,
    api_side,  # noqa: F401  (fixture)
    worker_side,  # noqa: F401  (fixture)
)
from tests.sources.test_http import site
from tests.sources.test_slow_sources import dripping

WAIT_LIMIT = 120.0  # a safety net against a hang (a worker's start takes ~10 s here)
STALLED = {  # the download neither finishes nor breaks a limit while the test runs
    "CRATEDIG_DOWNLOAD_TIMEOUT_SECONDS": "600",
    "CRATEDIG_DOWNLOAD_MIN_BYTES_PER_SECOND": "0",
    "CRATEDIG_SHUTDOWN_GRACE_SECONDS": "1",
}


def wait_until_downloading(temp: Path, besides: list[Path], log: Path) -> Path:
    """The job folder a worker made for its download (not one of `besides`)."""
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        fresh = [folder for folder in job_folders(temp) if folder not in besides]
        if fresh and any(fresh[0].iterdir()):  # the download has begun writing
            return fresh[0]
        time.sleep(0.1)
    raise AssertionError(f"no download began:\n{log.read_text()}")


def test_a_killed_workers_folder_is_swept_at_the_next_start_and_sigterm_leaves_none(
    worker_side: WorkerSide,  # noqa: F811
    tmp_path: Path,
) -> None:
    runtime, env, temp = worker_side
    env = env | STALLED
    log = tmp_path / "worker.log"
    with site() as web:
        web.pages["/drip.mp4"] = dripping(0.05, threading.Event())
        sample_id = add_url_sample(runtime, f"{web.base}/drip.mp4")
        enqueue_sample(sample_id, 0)

        killed = start_worker(env, "worker-a", log)
        try:
            left = wait_until_downloading(temp, [], log)
        finally:
            killed.send_signal(signal.SIGKILL)
            killed.wait()
        assert left.is_dir()  # what kill -9 leaves behind

        stopped = start_worker(env, "worker-a", log)  # resumes the download: a new folder
        try:
            wait_until_downloading(temp, [left], log)
            assert not left.exists(), "the dead worker's job folder was not swept"
            assert not left.parent.exists()  # nor its process folder
            assert len(process_folders(temp)) == 1  # the live worker's own
        finally:
            stop_worker(stopped)
        assert stopped.returncode == 0, log.read_text()
        assert "unfinished steps will run again" in log.read_text()
    assert job_folders(temp) == []
    assert process_folders(temp) == []
