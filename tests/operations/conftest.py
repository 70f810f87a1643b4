"""Operation fixtures: a runtime (no worker) on SQLite and PostgreSQL with local storage, and
samples whose media are really processed and stored, as the pipeline leaves them."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cratedig.config import Settings
from cratedig.media.process import process_file
from cratedig.models import Creator, Sample
from cratedig.process_options import process_options
from cratedig.runtime import Runtime, start_runtime, stop_runtime
from cratedig.storage.keys import sample_key
from tests.db.conftest import create_postgres_database, drop_postgres_database
from tests.fixtures.factories import make_creator, make_sample
from tests.fixtures.media import make_clip

# The processed files of one clip, by artifact column prefix.
PUBLISHED = {
    "video": "video.mp4",
    "thumbnail": "thumbnail.jpg",
    "wav": "audio.wav",
    "mp3": "audio.mp3",
    "hls": "hls/playlist.m3u8",
    "waveform_png": "waveform.png",
    "waveform_json": "waveform.json",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """A started runtime with local storage (no DBOS worker), on each database."""
    with running_runtime(request.param, tmp_path) as started:
        yield started


def running_runtime(database: str, tmp_path: Path, **overrides: Any) -> Any:
    """The runtime as a context manager; `overrides` set further settings."""
    from contextlib import contextmanager

    @contextmanager
    def run() -> Iterator[Runtime]:
        pg_url = None
        if database == "sqlite":
            url = f"sqlite:///{tmp_path / 'app.db'}"
            system = f"sqlite:///{tmp_path / 'dbos.db'}"
        else:
            pg_url = create_postgres_database("cratedig_ops")
            url = pg_url.render_as_string(hide_password=False)
            system = url.replace("+psycopg", "")
        settings = Settings(
            data_dir=tmp_path,
            database_url=url,
            dbos_system_database_url=system,
            storage_url=f"file://{tmp_path / 'media'}",
            allowed_source_hosts="127.0.0.1",
            **overrides,
        )
        started = start_runtime(settings)
        try:
            yield started
        finally:
            stop_runtime()
            if pg_url is not None:
                drop_postgres_database(pg_url)

    return run()


@pytest.fixture(scope="session")
def processed_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 6 s video clip processed once per test process: every artifact, on disk."""
    root = tmp_path_factory.mktemp("processed")
    clip = make_clip(root / "clip.mp4", 6.0, video=True)
    process_file(clip, root / "out", process_options(Settings().media))
    shutil.copyfile(clip, root / "out" / "video.mp4")  # the pipeline keeps the source video
    return root / "out"


def add(runtime: Runtime, *rows: Any) -> None:
    """Commit model rows."""
    with runtime.transaction() as session:
        session.add_all(rows)


def publish_clip(
    runtime: Runtime,
    processed: Path,
    *,
    creator: Creator | None = None,
    skip: tuple[str, ...] = (),
    **fields: Any,
) -> Sample:
    """A completed sample whose media (all but `skip`) are stored at their keys, committed."""
    sample = make_sample(id=uuid.uuid4(), creator=creator or make_creator(), **fields)
    for prefix, name in PUBLISHED.items():
        if prefix in skip:
            continue
        if prefix == "hls":
            for part in sorted((processed / "hls").iterdir()):
                runtime.storage.put_file(sample_key(sample.id, f"hls/{part.name}"), part)
        else:
            runtime.storage.put_file(sample_key(sample.id, name), processed / name)
        setattr(sample, f"{prefix}_key", sample_key(sample.id, name))
        setattr(sample, f"{prefix}_bytes", (processed / name).stat().st_size)
    add(runtime, sample)
    return sample
