"""SQLite files' folders: made before the databases open, from any working directory; an
unusable path is one line naming the setting (serve, worker and migrate alike)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cratedig.config import Settings
from cratedig.sqlite_paths import UnusablePathError, prepare_sqlite_files, sqlite_file
from tests.fixtures.http_server import free_port, wait_healthy
from tests.pipeline.test_workers import stop_worker

CRATEDIG = [sys.executable, "-m", "cratedig.cli"]


def cli_env(**settings: str) -> dict[str, str]:
    """This process's environment without CRATEDIG_* settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRATEDIG_")}
    return env | {f"CRATEDIG_{name.upper()}": value for name, value in settings.items()}


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty working directory away from the databases."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////srv/x/app.db", "/srv/x/app.db"),
        ("sqlite+pysqlite:///./data/app.db?timeout=5", "data/app.db"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://u@host/db", None),
    ],
)
def test_sqlite_file_reads_the_path_of_a_url(url: str, path: str | None) -> None:
    assert sqlite_file(url) == (Path(path) if path else None)


def test_folders_are_made_for_both_databases(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app' / 'deep' / 'cratedig.db'}",
        dbos_system_database_url=f"sqlite:///{tmp_path / 'dbos' / 'state.sqlite'}",
    )
    prepare_sqlite_files(settings)
    assert (tmp_path / "app" / "deep").is_dir() and (tmp_path / "dbos").is_dir()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []


def test_a_directory_where_the_file_should_be_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "cratedig.db").mkdir()
    with pytest.raises(UnusablePathError, match=r"^CRATEDIG_DATABASE_URL: .* is not a file"):
        prepare_sqlite_files(Settings(database_url=f"sqlite:///{tmp_path / 'cratedig.db'}"))


def test_migrate_from_another_folder_puts_dbos_beside_the_app_database(
    tmp_path: Path, elsewhere: Path
) -> None:
    database = tmp_path / "state" / "db" / "cratedig.db"
    env = cli_env(database_url=f"sqlite:///{database}")
    done = subprocess.run(
        [*CRATEDIG, "migrate"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert database.is_file() and (database.parent / "dbos.sqlite").is_file()
    assert list(elsewhere.iterdir()) == []


def test_serve_from_another_folder_starts_with_an_absolute_database(
    tmp_path: Path, elsewhere: Path
) -> None:
    database = tmp_path / "state" / "cratedig.db"
    env = cli_env(database_url=f"sqlite:///{database}", storage_url=f"file://{tmp_path / 'media'}")
    port, log = free_port(), tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*CRATEDIG, "serve", "--port", str(port)],
            cwd=elsewhere,
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        wait_healthy(server, port, log.read_text)
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/samples", timeout=10).status_code == 200
    finally:
        stop_worker(server)
    assert (database.parent / "dbos.sqlite").is_file()
    assert list(elsewhere.iterdir()) == []


def _unusable(tmp_path: Path, case: str) -> dict[str, str]:
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    if case == "parent is a file":
        return {"database_url": f"sqlite:///{afile / 'sub' / 'cratedig.db'}"}
    if case == "unwritable folder":  # /proc takes no new files, not even from root
        return {"database_url": "sqlite:////proc/cratedig.db"}
    assert case == "dbos parent is a file"
    return {
        "database_url": f"sqlite:///{tmp_path / 'ok' / 'cratedig.db'}",
        "dbos_system_database_url": f"sqlite:///{afile / 'dbos.sqlite'}",
    }


@pytest.mark.parametrize(
    ("command", "case", "setting"),
    [
        ("serve", "parent is a file", "CRATEDIG_DATABASE_URL"),
        ("worker", "parent is a file", "CRATEDIG_DATABASE_URL"),
        ("migrate", "parent is a file", "CRATEDIG_DATABASE_URL"),
        ("migrate", "unwritable folder", "CRATEDIG_DATABASE_URL"),
        ("worker", "dbos parent is a file", "CRATEDIG_DBOS_SYSTEM_DATABASE_URL"),
    ],
)
def test_an_unusable_path_is_one_line_naming_the_setting(
    tmp_path: Path, elsewhere: Path, command: str, case: str, setting: str
) -> None:
    env = cli_env(**_unusable(tmp_path, case), storage_url=f"file://{tmp_path / 'media'}")
    args = [*CRATEDIG, command] + (["--port", str(free_port())] if command == "serve" else [])
    done = subprocess.run(args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("cratedig: error:")]
    assert len(errors) == 1 and errors[0].startswith(f"cratedig: error: {setting}: "), done.stderr
    assert "Traceback" not in done.stderr
