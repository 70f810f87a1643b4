"""API fixtures: one app per module and database (SQLite, PostgreSQL), wiped between tests.

The app runs its real lifespan (migrations, storage, DBOS with a per-module system DB in
tmp). The embedded worker is off, so enqueued workflows stay queued for inspection.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete

from cratedig.api import create_app
from cratedig.config import Settings
from cratedig.media.wav import write_wav24
from cratedig.models import Creator, Operation, OperationItem, Sample
from cratedig.runtime import Runtime
from cratedig.storage.keys import AUDIO_WAV, sample_key
from tests.db.conftest import create_postgres_database, drop_postgres_database
from tests.fixtures.factories import make_creator, make_sample
from tests.fixtures.music import SR, backbeat_song

LOOPBACK = ("127.0.0.1", 50000)
ALLOWED_HOSTS = "127.0.0.1,media.example.com"


@dataclass
class Api:
    """A running app, a loopback client, and what tests seed and inspect."""

    app: FastAPI
    client: TestClient
    settings: Settings
    media_dir: Path

    @property
    def runtime(self) -> Runtime:
        """The runtime the lifespan started."""
        runtime: Runtime = self.app.state.runtime
        return runtime

    def add(self, *rows: Any) -> None:
        """Commit model objects."""
        with self.runtime.transaction() as session:
            session.add_all(rows)

    def client_from(self, host: str) -> TestClient:
        """A client calling from another address (the app is already started)."""
        return TestClient(self.app, client=(host, 40000))


def api_settings(tmp: Path, database_url: str, **kw: Any) -> Settings:
    """Settings for a test app: its own database, media dir and DBOS state."""
    fields: dict[str, Any] = {
        "data_dir": tmp,
        "database_url": database_url,
        "dbos_system_database_url": f"sqlite:///{tmp / 'dbos.sqlite'}",
        "storage_url": f"file://{tmp / 'media'}",
        "allowed_source_hosts": ALLOWED_HOSTS,
        "embedded_worker": False,
        "admin_token": "",
    }
    fields.update(kw)
    return Settings(**fields)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api_module(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    """One started app per test module and database."""
    tmp = tmp_path_factory.mktemp(f"api-{request.param}")
    pg_url = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'app.db'}"
    else:
        pg_url = create_postgres_database("cratedig_api")
        url = pg_url.render_as_string(hide_password=False)
    settings = api_settings(tmp, url)
    app = create_app(settings)
    try:
        with TestClient(app, client=LOOPBACK) as client:
            yield Api(app, client, settings, tmp / "media")
    finally:
        if pg_url is not None:
            drop_postgres_database(pg_url)


@pytest.fixture
def api(api_module: Api) -> Iterator[Api]:
    """The module's app with an empty database and media dir."""
    _wipe(api_module)
    yield api_module
    _wipe(api_module)


def _wipe(api: Api) -> None:
    with api.runtime.transaction() as session:
        session.execute(delete(OperationItem))
        session.execute(delete(Operation))
        session.execute(delete(Sample))
        session.execute(delete(Creator))
    for child in api.media_dir.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


@pytest.fixture(scope="session")
def song_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 s at 100 BPM in A minor, as the pipeline stores WAVs (24-bit, 48 kHz, stereo)."""
    path = tmp_path_factory.mktemp("song") / "audio.wav"
    write_wav24(path, backbeat_song(100.0, "A", "minor"), SR)
    return path


def stored_song(api: Api, song: Path, **fields: Any) -> Sample:
    """A committed 100 BPM A minor sample (its own creator) whose WAV is the song."""
    values: dict[str, Any] = {"bpm": 100.0, "key": "A", "scale": "minor"} | fields
    creator = make_creator()
    sample = make_sample(id=uuid.uuid4(), creator=creator, title="Night drive", **values)
    sample.wav_key = sample_key(sample.id, AUDIO_WAV)
    api.add(creator, sample)
    api.runtime.storage.put_file(sample.wav_key, song)
    return sample


def queued_workflow_ids(prefix: str) -> list[str]:
    """Workflow ids DBOS holds that start with `prefix`."""
    return [w.workflow_id for w in DBOS.list_workflows() if w.workflow_id.startswith(prefix)]
