"""The deploy-time commands: `cratedig migrate` and `cratedig serve --workers N` on PostgreSQL,
run as the real console script in subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def running_serve(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`cratedig serve` (one process, embedded worker) on 127.0.0.1:`port` until the block ends."""
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*CRATEDIG, "serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(server, port, log.read_text, timeout=180)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_forwarded_for_from_loopback_does_not_make_an_admin_a_stranger(
    pg_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    with running_serve(pg_env, port, tmp_path / "serve.log"):
        pipeline = f"http://127.0.0.1:{port}/api/v1/pipeline"
        assert httpx.get(pipeline, timeout=30).status_code == 200
        # Only CRATEDIG_TRUSTED_PROXIES' proxies may name the client; loopback is no such proxy.
        forged = httpx.get(pipeline, headers={"X-Forwarded-For": "1.2.3.4"}, timeout=30)
        assert forged.status_code == 200, forged.text


def test_a_second_serve_on_a_busy_port_fails_first_and_one_line_production_refusal(
    pg_env: dict[str, str], tmp_path: Path
) -> None:
    env = pg_env | {"CRATEDIG_ADMIN_TOKEN": "t0ken", "CRATEDIG_SUBMIT_RATE_PER_MINUTE": "2"}
    port = free_port()
    with running_serve(env, port, tmp_path / "serve.log") as first:
        submit = f"http://127.0.0.1:{port}/api/v1/samples"
        # A new X-Forwarded-For value from an untrusted peer is no new client: 2 a minute in all.
        answers = [
            httpx.post(submit, json={"url": "x"}, headers={"X-Forwarded-For": f"1.2.3.{n}"})
            for n in range(4)
        ]
        assert [a.status_code for a in answers][2:] == [429, 429], [a.text for a in answers]
        # The port is taken: the second instance must fail before its worker starts.
        second = subprocess.run(
            [*CRATEDIG, "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            f"cratedig: error: cannot listen on 127.0.0.1:{port}: "
        ), second.stderr
        assert "DBOS" not in second.stdout + second.stderr
        assert first.poll() is None
    production = pg_env | {"CRATEDIG_ENV": "production"}
    refused = subprocess.run(
        [*CRATEDIG, "serve", "--port", str(free_port())],
        env=production,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert lines[0].startswith("cratedig: error: refusing to start in production mode: ")


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_two_api_processes_share_one_submission_rate(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    shared = (
        request.getfixturevalue("pg_env")
        if backend == "postgresql"
        else dict(os.environ) | {"CRATEDIG_DATA_DIR": str(tmp_path)}  # one SQLite file
    )
    env = shared | {
        "CRATEDIG_EMBEDDED_WORKER": "false",
        "CRATEDIG_ADMIN_TOKEN": "rate-token",  # with a token, loopback is no admin
        "CRATEDIG_SUBMIT_RATE_PER_MINUTE": "2",  # a token every 30 s: none comes back meanwhile
        "CRATEDIG_ALLOWED_SOURCE_HOSTS": "media.example.com",
    }
    ports = [free_port()]
    while len(ports) < 2:
        ports += [port for port in [free_port()] if port not in ports]
    with (
        running_serve(env, ports[0], tmp_path / "first.log"),
        running_serve(env, ports[1], tmp_path / "second.log"),
    ):
        answers = [
            httpx.post(
                f"http://127.0.0.1:{ports[n % 2]}/api/v1/samples",
                json={"url": f"https://media.example.com/clip-{n}.mp4"},
                timeout=30,
            )
            for n in range(8)
        ]
    statuses = [answer.status_code for answer in answers]
    # One client, two processes, one bucket: 2 accepted in all (each process alone allows 2).
    assert statuses.count(202) == 2 and statuses.count(429) == 6, [a.text for a in answers]
    assert statuses[:2] == [202, 202]
