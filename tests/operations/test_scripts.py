"""The scripts operators know, run exactly as typed from the repository root."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cratedig.models import Operation, Sample, SampleStatus
from cratedig.runtime import Runtime
from tests.fixtures.factories import make_creator, make_sample
from tests.operations.conftest import add, publish_clip, running_runtime

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Runtime]:
    """An SQLite library the scripts and this test share."""
    with running_runtime("sqlite", tmp_path) as runtime:
        yield runtime


def env_of(runtime: Runtime) -> dict[str, str]:
    """The library's settings as the environment of a command."""
    settings = runtime.settings
    return {
        "CRATEDIG_DATA_DIR": str(settings.data_dir),
        "CRATEDIG_DATABASE_URL": settings.database_url,
        "CRATEDIG_DBOS_SYSTEM_DATABASE_URL": settings.dbos_system_database_url,
        "CRATEDIG_STORAGE_URL": settings.storage_url,
        "CRATEDIG_ALLOWED_SOURCE_HOSTS": "127.0.0.1",
    }


def run(runtime: Runtime, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root with the library's settings in the environment."""
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env={**os.environ, **env_of(runtime)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def generations(runtime: Runtime) -> dict[object, tuple[int, SampleStatus]]:
    """Each sample's generation and status."""
    with runtime.transaction() as session:
        return {s.id: (s.generation, s.status) for s in session.query(Sample)}


def test_reprocess_script_dry_run_lists_and_changes_nothing(library: Runtime) -> None:
    creator = make_creator(username="scriptuser")
    done = make_sample(creator=creator)
    failed = make_sample(creator=creator, status=SampleStatus.FAILED)
    add(library, creator, done, failed)
    before = generations(library)
    result = run(library, "-m", "scripts.reprocess_all_samples", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "DRY RUN: 2 samples would be reprocessed (nothing changed)" in result.stdout
    assert f"{failed.id}  {failed.source_url}  @scriptuser  failed" in result.stdout
    assert generations(library) == before


def test_reprocess_script_refuses_without_a_terminal_or_yes(library: Runtime) -> None:
    sample = make_sample()
    add(library, sample)
    before = generations(library)
    result = run(library, "-m", "scripts.reprocess_all_samples", "--limit", "5")
    assert result.returncode == 1
    assert "This will reprocess 1 samples through the FULL pipeline:" in result.stdout
    assert "Refusing to continue without confirmation" in result.stdout
    assert generations(library) == before


def test_reprocess_script_with_yes_triggers_and_summarises(library: Runtime) -> None:
    done, failed = make_sample(), make_sample(status=SampleStatus.FAILED)
    add(library, done, failed)
    result = run(library, "-m", "scripts.reprocess_all_samples", "--status", "failed", "--yes")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"[1/1] Processing sample {failed.id}" in out
    assert f"  Reset sample {failed.id} to pending" in out
    assert f"  ✓ Pipeline triggered for sample {failed.id}" in out
    for line in ("REPROCESSING COMPLETE", "Total samples: 1", "Successfully triggered: 1"):
        assert line in out
    assert "Failed: 0" in out and "Skipped: 0" in out
    after = generations(library)
    assert after[failed.id] == (1, SampleStatus.PENDING)
    assert after[done.id] == (0, SampleStatus.COMPLETED)


def test_reprocess_script_rejects_a_bad_flag_value(library: Runtime) -> None:
    result = run(library, "-m", "scripts.reprocess_all_samples", "--status", "archived")
    assert result.returncode == 2 and "invalid choice: 'archived'" in result.stderr


def test_backfill_script_as_typed(library: Runtime, processed_clip: Path) -> None:
    sample = publish_clip(library, processed_clip, skip=("hls",))
    dry = run(library, "scripts/backfill_hls_streams.py", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Found 1 samples without HLS streams" in dry.stdout
    assert str(sample.id) in dry.stdout
    with library.transaction() as session:
        assert session.get(Sample, sample.id).hls_key is None  # type: ignore[union-attr]
    done = run(library, "scripts/backfill_hls_streams.py", "--batch-size", "2")
    assert done.returncode == 0, done.stderr
    assert f"✅ Successfully processed sample {sample.id}" in done.stdout
    assert "Total processed: 1" in done.stdout and "Successful: 1" in done.stdout
    again = run(library, "scripts/backfill_hls_streams.py")
    assert "Found 0 samples without HLS streams" in again.stdout


def test_migration_script_dry_run_as_typed(library: Runtime) -> None:
    legacy = make_sample(cover_key="https://legacy-r2.example.com/covers/1.jpg")
    add(library, legacy)
    before = generations(library)
    result = run(library, "-m", "scripts.migrate_media_to_storage", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Starting media migration to our storage" in result.stdout
    assert str(legacy.id) in result.stdout and "legacy-r2.example.com" in result.stdout
    with library.transaction() as session:
        kept = session.get(Sample, legacy.id)
        assert kept is not None and kept.cover_key == "https://legacy-r2.example.com/covers/1.jpg"
    assert generations(library) == before


def dry_runs(runtime: Runtime) -> list[tuple[str, bool, str, int]]:
    """Every operation recorded: kind, dry run, status, items."""
    with runtime.transaction() as session:
        return [
            (op.kind, op.dry_run, op.status, op.total)
            for op in session.query(Operation).order_by(Operation.created_at)
        ]


def test_dry_runs_from_the_command_line_are_recorded_as_operations(
    library: Runtime, processed_clip: Path
) -> None:
    publish_clip(library, processed_clip, skip=("hls",))
    cratedig = str(Path(sys.executable).parent / "cratedig")
    before = generations(library)
    for argv in (
        ("-m", "scripts.reprocess_all_samples", "--dry-run"),
        ("-m", "scripts.migrate_media_to_storage", "--dry-run"),
        ("scripts/backfill_hls_streams.py", "--dry-run"),
    ):
        result = run(library, *argv)
        assert result.returncode == 0, result.stderr
    typed = subprocess.run(
        [cratedig, "reprocess", "--dry-run"],
        cwd=ROOT,
        env={**os.environ, **env_of(library)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert typed.returncode == 0, typed.stderr
    assert "DRY RUN: 1 samples would be reprocessed (nothing changed)" in typed.stdout
    assert dry_runs(library) == [
        ("reprocess", True, "completed", 1),
        ("migrate_media", True, "completed", 0),
        ("backfill_hls", True, "completed", 1),
        ("reprocess", True, "completed", 1),
    ]
    assert generations(library) == before
