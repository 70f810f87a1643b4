"""The default set-up (`cratedig serve`: SQLite, local storage, the embedded worker) killed in
the middle of a pipeline: started again as it was, it sweeps the dead process's temp folder,
resumes the sample and completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.fixtures.http_server import LoopbackServer, free_port, wait_healthy
from tests.fixtures.temp_folders import job_folders, process_folders
from tests.pipeline.test_workers import stop_worker

CRATEDIG = [sys.executable, "-m", "cratedig.cli"]


@contextmanager
def serving(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`cratedig serve` on `port` until the block ends (or it dies); its output in `log`."""
    with log.open("ab") as out:
        server = subprocess.Popen(
            [*CRATEDIG, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    try:
        wait_healthy(server, port, log.read_text)
        yield server
    finally:
        stop_worker(server)  # SIGTERM, then SIGKILL after 30 s


def _status(port: int, sample_id: str) -> dict[str, object]:
    response = httpx.get(f"http://127.0.0.1:{port}/api/v1/samples/{sample_id}/status", timeout=5)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_killed_serve_resumes_its_pipeline_when_started_again(
    media_server: LoopbackServer, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ) | {
        "CRATEDIG_DATA_DIR": str(tmp_path),
        "CRATEDIG_ALLOWED_SOURCE_HOSTS": "127.0.0.1",
        "TMPDIR": str(temp),
    }
    env.pop("CRATEDIG_WORKER_ID", None)
    port, log = free_port(), tmp_path / "serve.log"
    crashing = env | {"CRATEDIG_FAULT_KILL_AT_STEP": "process_audio"}  # SIGKILL there
    with serving(crashing, port, log) as server:
        submitted = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/samples",
            json={"url": f"{media_server.base}/clip.mp4"},
            timeout=10,
        )
        assert submitted.status_code in (200, 201, 202), submitted.text
        sample_id = submitted.json()["id"]
        assert server.wait(timeout=120) == -signal.SIGKILL, log.read_text()
    dead = process_folders(temp)
    assert len(dead) == 1  # the killed process's: its download ran in it

    with serving(env, port, log):
        assert dead[0] not in process_folders(temp)  # swept before the worker began
        deadline = time.monotonic() + 120
        while (status := _status(port, sample_id))["status"] != "completed":
            assert status["status"] == "processing", status
            assert time.monotonic() < deadline, f"still {status} after the restart"
            time.sleep(0.3)
    assert process_folders(temp) == job_folders(temp) == []  # a stopped serve leaves none
