"""The deploy-time commands: `cratedig migrate` and `cratedig serve --workers N` on PostgreSQL,
run as the real console script in subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from cratedig.db import alembic_config, make_engine
from tests.db.conftest import create_postgres_database, drop_postgres_database
from tests.fixtures.http_server import free_port, wait_healthy

CRATEDIG = [sys.executable, "-m", "cratedig.cli"]


@pytest.fixture
def pg_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a deployment on a fresh, empty PostgreSQL database."""
    url = create_postgres_database("cratedig_deploy")
    env = dict(os.environ) | {
        "CRATEDIG_DATABASE_URL": url.render_as_string(hide_password=False),
        "CRATEDIG_DATA_DIR": str(tmp_path),
        "CRATEDIG_STORAGE_URL": f"file://{tmp_path / 'media'}",
    }
    try:
        yield env
    finally:
        drop_postgres_database(url)


def _api_children(pid: int) -> list[int]:
    """The uvicorn worker processes (multiprocessing spawns) among a process's children."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit():
                continue
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def test_migrate_creates_the_app_and_dbos_tables_and_can_run_again(
    pg_env: dict[str, str],
) -> None:
    for _ in range(2):  # a deploy runs it every time: the second run changes nothing
        done = subprocess.run([*CRATEDIG, "migrate"], env=pg_env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "app tables: at the newest revision" in done.stdout
        assert "DBOS tables: at the newest version" in done.stdout
    engine = make_engine(pg_env["CRATEDIG_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            tables = set(inspect(connection).get_table_names())
            dbos_tables = set(inspect(connection).get_table_names(schema="dbos"))
    finally:
        engine.dispose()
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {"samples", "creators", "sample_steps"} <= tables
    assert {"workflow_status", "operation_outputs"} <= dbos_tables


def test_serve_with_two_workers_runs_two_api_processes_that_stop_on_sigterm(
    pg_env: dict[str, str], tmp_path: Path
) -> None:
    env = pg_env | {"CRATEDIG_EMBEDDED_WORKER": "false"}
    assert subprocess.run([*CRATEDIG, "migrate"], env=env, capture_output=True).returncode == 0
    port = free_port()
    # Output goes to a file: reading a pipe of a server that never exits would hang the run.
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [*CRATEDIG, "serve", "--workers", "2", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        # Two API processes start on a shared, busy machine: allow them more than one.
        wait_healthy(server, port, log.read_text, timeout=180)
        api_processes = _api_children(server.pid)
        assert len(api_processes) == 2
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(10):
                assert client.get("/api/v1/samples").json() == {"items": [], "next_cursor": None}
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        assert [pid for pid in api_processes if Path(f"/proc/{pid}").exists()] == []
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_serve_refuses_several_processes_that_would_each_run_pipelines(
    pg_env: dict[str, str],
) -> None:
    env = pg_env | {"CRATEDIG_EMBEDDED_WORKER": "true"}
    done = subprocess.run(
        [*CRATEDIG, "serve", "--workers", "2", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "cratedig: error: --workers above 1 needs CRATEDIG_EMBEDDED_WORKER=false "
        "(run the pipelines in `cratedig worker` processes)"
    ]
