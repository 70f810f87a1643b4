"""The temp root: jobs work in their process's locked folder; a sweep removes the folders of
processes that died (kill -9 included) and never those of live ones."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cratedig import scratch
from cratedig.media.workdir import TEMP_PREFIX, job_directory

# A process that starts a job in `root`, writes 100 kB into it, says where, and waits.
MID_JOB = """
import sys, time
from pathlib import Path
from cratedig.media.workdir import job_directory
from cratedig.scratch import use_root
use_root(Path(sys.argv[1]))
with job_directory() as work:
    (work / "audio.wav").write_bytes(bytes(100_000))
    print(work, flush=True)
    time.sleep(120)
"""


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    """A temp root of this test's own, for this process too."""
    scratch.use_root(tmp_path / "root")
    yield tmp_path / "root"
    scratch.release_process_folders()
    scratch.use_root(None)


def start_mid_job(root: Path) -> tuple[subprocess.Popen[str], Path]:
    """Another process, in the middle of a job; its job folder."""
    process = subprocess.Popen(
        [sys.executable, "-c", MID_JOB, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    work = Path(process.stdout.readline().strip())
    assert work.is_dir(), "the job never started"
    return process, work


def test_a_job_works_in_its_process_folder_and_a_stop_removes_it(root: Path) -> None:
    with job_directory() as work:
        assert work.name.startswith(TEMP_PREFIX)
        folder = work.parent
        assert folder.parent == root and (folder / scratch.LOCK_NAME).is_file()
    assert folder.is_dir()  # the process folder outlives its jobs...
    scratch.release_process_folders()
    assert list(root.iterdir()) == []  # ...until the process stops


def test_the_folder_of_a_process_killed_mid_job_is_swept(root: Path) -> None:
    process, work = start_mid_job(root)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert work.is_dir()  # what kill -9 leaves behind
    swept = scratch.sweep()
    assert swept.folders == 1 and swept.bytes >= 100_000
    assert list(root.iterdir()) == []


def test_a_live_process_keeps_its_folder_and_so_does_the_sweeper(root: Path) -> None:
    process, work = start_mid_job(root)
    try:
        with job_directory() as own:
            assert scratch.sweep() == scratch.Swept()
            assert work.is_dir() and own.is_dir()
    finally:
        process.kill()
        process.wait()
    assert scratch.sweep().folders == 1
    assert sorted(root.iterdir()) == [own.parent]


def test_a_folder_never_locked_is_swept_and_what_we_did_not_make_is_left(
    root: Path,
) -> None:
    # A process killed between making its folder and locking it leaves no lock file at all.
    (root / "4242-abandoned" / f"{TEMP_PREFIX}x").mkdir(parents=True)
    (root / "notes.txt").write_text("not ours")
    (root / "someone-elses").mkdir()  # not named as a process folder
    assert scratch.sweep().folders == 1
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt", "someone-elses"]


def test_a_missing_root_sweeps_nothing(tmp_path: Path) -> None:
    assert scratch.sweep(tmp_path / "absent") == scratch.Swept()


def test_a_sweep_logs_what_it_removed(root: Path, caplog: pytest.LogCaptureFixture) -> None:
    (root / "4242-abandoned").mkdir(parents=True)
    (root / "4242-abandoned" / "audio.wav").write_bytes(bytes(1234))
    with caplog.at_level("INFO", logger="cratedig.scratch"):
        scratch.sweep()
    assert f"temp root {root}: removed 1 folders of ended processes (1234 bytes)" in caplog.text


def test_a_root_that_is_a_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "root").symlink_to(tmp_path / "elsewhere")
    scratch.use_root(tmp_path / "root")
    try:
        with pytest.raises(PermissionError, match="not a folder of this user"):
            scratch.process_folder()
    finally:
        scratch.use_root(None)
    assert list((tmp_path / "elsewhere").iterdir()) == []
