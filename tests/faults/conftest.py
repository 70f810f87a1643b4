"""Fault-test fixtures: a private S3 server whose gateway the tests stop and restart, a source
server that holds downloads, short generated clips, and helpers to watch samples."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from cratedig.artifacts import SAMPLE_ARTIFACTS
from cratedig.config import Settings
from cratedig.models import Sample
from cratedig.runtime import Runtime, start_runtime, stop_runtime
from cratedig.samples.repository import SampleRepository
from tests.db.conftest import create_postgres_database, drop_postgres_database
from tests.faults.held_source import HeldSources, held_sources
from tests.faults.s3_gateway import RestartableS3, restartable_s3_server
from tests.fixtures.media import make_clip
from tests.pipeline.conftest import pipeline_settings


@pytest.fixture(scope="module")
def gateway_server() -> Iterator[RestartableS3]:
    """This module's own S3 server (other tests never see its outages)."""
    with restartable_s3_server() as server:
        yield server


@pytest.fixture
def s3(gateway_server: RestartableS3) -> Iterator[RestartableS3]:
    """The private S3 server, up at the start of the test and again after it."""
    gateway_server.start_gateway()
    yield gateway_server
    gateway_server.start_gateway()


@pytest.fixture
def s3_objects(s3: RestartableS3) -> Callable[[str], set[str]]:
    """Lists what the server really holds under a prefix (boto3: an independent view)."""
    client = boto3.client(
        "s3",
        endpoint_url=s3.server.endpoint,
        aws_access_key_id=s3.server.access_key_id,
        aws_secret_access_key=s3.server.secret_access_key,
        region_name=s3.server.region,
    )

    def listing(prefix: str) -> set[str]:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=s3.server.bucket, Prefix=prefix
        )
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    return listing


def s3_settings(s3: RestartableS3, prefix: str) -> dict[str, Any]:
    """Settings overrides that put a pipeline's media on the private server under `prefix`."""
    server = s3.server
    return {
        "storage_url": f"s3://{server.bucket}/{prefix}",
        "s3_endpoint": server.endpoint,
        "s3_region": server.region,
        "s3_access_key_id": server.access_key_id,
        "s3_secret_access_key": server.secret_access_key,
    }


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Short good sources: a 3 s video with sound and a 3 s MP3."""
    root = tmp_path_factory.mktemp("fault-clips")
    return {
        "video": make_clip(root / "clip.mp4", 3.0, video=True).read_bytes(),
        "audio": make_clip(root / "loop.mp3", 3.0).read_bytes(),
    }


@pytest.fixture
def sources() -> Iterator[HeldSources]:
    """A loopback source server; tests add files by path (`sources.files[path] = bytes`)."""
    with held_sources({}) as served:
        yield served


def load(runtime: Runtime, sample_id: uuid.UUID) -> Sample:
    """The sample's row as committed now."""
    with runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None
        return sample


def step_attempts(runtime: Runtime, sample_id: uuid.UUID, generation: int) -> dict[str, int]:
    """How many times each step of a generation started."""
    with runtime.transaction() as session:
        rows = SampleRepository(session).steps_for(sample_id, generation)
        return {row.step: row.attempts for row in rows}


def served_keys(sample: Sample) -> set[str]:
    """Every key the row points at (the HLS playlist stands for itself)."""
    keys = {artifact.stored(sample) for artifact in SAMPLE_ARTIFACTS}
    return {key for key in keys if key}


@contextmanager
def postgres_runtime(tmp_path: Path, **overrides: Any) -> Iterator[Runtime]:
    """A runtime on a throwaway PostgreSQL database without a pipeline worker (operations)."""
    pg_url = create_postgres_database("cratedig_faults")
    url = pg_url.render_as_string(hide_password=False)
    settings = pipeline_settings(tmp_path, url, url.replace("+psycopg", ""))
    started = start_runtime(Settings.model_validate({**settings.model_dump(), **overrides}))
    try:
        yield started
    finally:
        stop_runtime()
        drop_postgres_database(pg_url)
