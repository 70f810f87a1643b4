"""A private temporary directory per job, always removed, whatever happens: by the job when it
ends, by the process when it stops, by the next worker's sweep when the process was killed."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cratedig.scratch import process_folder

TEMP_PREFIX = "cratedig-job-"


@contextmanager
def job_directory(parent: Path | None = None) -> Iterator[Path]:
    """Yield a fresh directory (under `parent`, else in this process's folder of the temp
    root) and delete it after."""
    path = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=parent or process_folder()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def publish_directory(source: Path, target: Path) -> None:
    """Move every file of `source` into `target`, replacing older files of the same name."""
    target.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.iterdir()):
        destination = target / item.name
        if destination.is_dir() and item.is_dir():
            shutil.rmtree(destination)
        shutil.move(str(item), str(destination))
