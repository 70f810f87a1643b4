"""Worker processes on PostgreSQL: a SIGKILLed worker's sample completes after a restart,
and two workers share a queue with every sample processed exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbos import DBOS

from cratedig.models import SampleStatus
from cratedig.pipeline.queue import enqueue_sample, start_dbos, stop_dbos, workflow_id
from cratedig.runtime import Runtime, start_runtime, stop_runtime
from cratedig.samples.repository import SampleRepository
from cratedig.storage.keys import sample_prefix, staging_prefix
from tests.db.conftest import create_postgres_database, drop_postgres_database
from tests.fixtures.http_server import LoopbackServer, Route, loopback_server
from tests.fixtures.media import make_clip
from tests.pipeline.conftest import add_url_sample, pipeline_settings


@pytest.fixture
def api_side(tmp_path: Path) -> Iterator[tuple[Runtime, dict[str, str]]]:
    """This process as an API node (enqueues only) and the env for worker processes."""
    pg_url = create_postgres_database("cratedig_workers")
    url = pg_url.render_as_string(hide_password=False)
    settings = pipeline_settings(tmp_path, url, url.replace("+psycopg", ""))
    runtime = start_runtime(settings)
    start_dbos(settings, worker=False)
    env = dict(os.environ) | {
        "CRATEDIG_DATABASE_URL": settings.database_url,
        "CRATEDIG_DBOS_SYSTEM_DATABASE_URL": settings.system_database_url,
        "CRATEDIG_STORAGE_URL": settings.storage_url,
        "CRATEDIG_ALLOWED_SOURCE_HOSTS": "127.0.0.1",
        "CRATEDIG_DATA_DIR": str(tmp_path),
        "CRATEDIG_WORKER_CONCURRENCY": "2",
    }
    try:
        yield runtime, env
    finally:
        stop_dbos()
        stop_runtime()
        drop_postgres_database(pg_url)


def start_worker(env: dict[str, str], worker_id: str, log: Path) -> subprocess.Popen[bytes]:
    """A `cratedig worker` process with a stable worker id."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cratedig.pipeline.worker"],
            env=env | {"CRATEDIG_WORKER_ID": worker_id},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait: the worker finishes its running steps and exits."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(
    runtime: Runtime,
    sample_ids: list[uuid.UUID],
    *,
    step: str | None = None,
    timeout: float = 120.0,
) -> None:
    """Poll until every sample is completed (or, with `step`, until one is at that step)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.transaction() as session:
            repo = SampleRepository(session)
            samples = [repo.get(sid) for sid in sample_ids]
            if step is not None and any(s is not None and s.step == step for s in samples):
                return
            if step is None and all(
                s is not None and s.status is SampleStatus.COMPLETED for s in samples
            ):
                return
        time.sleep(0.02 if step else 0.2)
    raise AssertionError(f"samples not {'at ' + step if step else 'completed'} in {timeout} s")


def test_a_killed_worker_resumes_at_the_interrupted_step(
    api_side: tuple[Runtime, dict[str, str]], tmp_path: Path
) -> None:
    runtime, env = api_side
    clip = make_clip(tmp_path / "long.mp4", 30.0, video=True).read_bytes()
    with loopback_server(
        {"/long.mp4": Route(body=clip, headers={"Content-Type": "video/mp4"})}
    ) as server:
        sample_id = add_url_sample(runtime, f"{server.base}/long.mp4")
        enqueue_sample(sample_id, 0)
        first = start_worker(env, "worker-a", tmp_path / "worker.log")
        try:
            wait_for(runtime, [sample_id], step="process_audio", timeout=60)
            first.send_signal(signal.SIGKILL)
            first.wait()
        finally:
            stop_worker(first)
        second = start_worker(env, "worker-a", tmp_path / "worker.log")
        try:
            wait_for(runtime, [sample_id], timeout=90)
        finally:
            stop_worker(second)
    with runtime.transaction() as session:
        attempts = {s.step: s.attempts for s in SampleRepository(session).steps_for(sample_id, 0)}
    # Steps finished before the kill were not run again; the interrupted one ran twice.
    assert attempts["mark_processing"] == attempts["fetch_source"] == 1
    assert attempts["store_images"] == 1
    assert attempts["process_audio"] == 2
    assert attempts["publish"] == 1
    recorded = [
        step["function_name"] for step in DBOS.list_workflow_steps(workflow_id(sample_id, 0))
    ]
    assert len(recorded) == len(set(recorded))
    assert runtime.storage.list(staging_prefix(sample_id, 0) + "/") == []
    names = {i.key.rsplit("/", 1)[-1] for i in runtime.storage.list(sample_prefix(sample_id))}
    assert {"audio.wav", "audio.mp3", "video.mp4", "playlist.m3u8"} <= names


def test_two_workers_share_the_queue_and_process_each_sample_once(
    api_side: tuple[Runtime, dict[str, str]], media_server: LoopbackServer, tmp_path: Path
) -> None:
    runtime, env = api_side
    sample_ids = [add_url_sample(runtime, f"{media_server.base}/loop.mp3?n={n}") for n in range(20)]
    logs = [tmp_path / f"w{n}.log" for n in (1, 2)]
    workers = [start_worker(env, f"worker-{n}", log) for n, log in zip((1, 2), logs, strict=True)]
    try:
        # Both must be listening before the work arrives, or the first could take it all.
        deadline = time.monotonic() + 60
        while not all(log.exists() and "running" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.1)
        for sample_id in sample_ids:
            enqueue_sample(sample_id, 0)
        wait_for(runtime, sample_ids, timeout=180)
    finally:
        for worker in workers:
            stop_worker(worker)
    with runtime.transaction() as session:
        repo = SampleRepository(session)
        for sample_id in sample_ids:
            attempts = {s.step: s.attempts for s in repo.steps_for(sample_id, 0)}
            assert set(attempts.values()) == {1}, attempts
    executors = {
        w.executor_id for w in DBOS.list_workflows() if w.workflow_id.startswith("sample-")
    }
    assert executors == {"worker-1", "worker-2"}
