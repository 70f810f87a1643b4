"""Pipeline fixtures: a runtime + in-process DBOS worker on SQLite or PostgreSQL, and a
loopback server with generated media standing in for the internet."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS

from cratedig.config import Settings
from cratedig.models import Sample, SampleSource, SampleStatus
from cratedig.pipeline.fetching import url_source_id
from cratedig.pipeline.queue import enqueue_sample, start_dbos, stop_dbos
from cratedig.runtime import Runtime, start_runtime, stop_runtime
from cratedig.samples.repository import SampleRepository
from tests.db.conftest import create_postgres_database, drop_postgres_database
from tests.fixtures.http_server import LoopbackServer, Route, loopback_server
from tests.fixtures.media import make_clip


@pytest.fixture(scope="module")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackServer]:
    """Serves /clip.mp4 (video + groove) and /loop.mp3 on 127.0.0.1."""
    root = tmp_path_factory.mktemp("served")
    video = make_clip(root / "clip.mp4", 6.0, video=True).read_bytes()
    audio = make_clip(root / "loop.mp3", 5.0).read_bytes()
    routes = {
        "/clip.mp4": Route(body=video, headers={"Content-Type": "video/mp4"}),
        "/loop.mp3": Route(body=audio, headers={"Content-Type": "audio/mpeg"}),
    }
    with loopback_server(routes) as server:
        yield server


def pipeline_settings(tmp_path: Path, database_url: str, system_url: str) -> Settings:
    """Settings for one test: its own database, media dir and DBOS state."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        dbos_system_database_url=system_url,
        storage_url=f"file://{tmp_path / 'media'}",
        allowed_source_hosts="127.0.0.1",
        worker_concurrency=2,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """A started runtime with an in-process DBOS worker, on each database."""
    with running_pipeline(request.param, tmp_path) as started:
        yield started


@contextmanager
def running_pipeline(database: str, tmp_path: Path, **overrides: Any) -> Iterator[Runtime]:
    """A runtime and an in-process DBOS worker on "sqlite" or "postgresql"; `overrides`
    set further settings (TikTok proxy, retry timing)."""
    pg_url = None
    if database == "sqlite":
        settings = pipeline_settings(
            tmp_path, f"sqlite:///{tmp_path / 'app.db'}", f"sqlite:///{tmp_path / 'dbos.db'}"
        )
    else:
        pg_url = create_postgres_database("cratedig_pipe")
        url = pg_url.render_as_string(hide_password=False)
        settings = pipeline_settings(tmp_path, url, url.replace("+psycopg", ""))
    settings = Settings.model_validate({**settings.model_dump(), **overrides})
    started = start_runtime(settings)
    start_dbos(settings, worker=True)
    try:
        yield started
    finally:
        stop_dbos()
        stop_runtime()
        if pg_url is not None:
            drop_postgres_database(pg_url)


def add_url_sample(runtime: Runtime, url: str) -> uuid.UUID:
    """Commit a pending sample for a direct URL, as the API does."""
    with runtime.transaction() as session:
        sample = Sample(
            source=SampleSource.URL,
            source_url=url,
            source_id=url_source_id(url),
            status=SampleStatus.PENDING,
        )
        SampleRepository(session).add(sample)
        return sample.id


def run_pipeline(sample_id: uuid.UUID, generation: int = 0) -> str:
    """Enqueue and wait for the workflow's result."""
    wid = enqueue_sample(sample_id, generation)
    result: str = DBOS.retrieve_workflow(wid).get_result(polling_interval_sec=0.1)
    return result
