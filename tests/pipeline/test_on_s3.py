"""The pipeline with its media on a real S3 server (radosgw on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cratedig.pipeline.queue import start_dbos, stop_dbos
from cratedig.runtime import Runtime, start_runtime, stop_runtime
from cratedig.samples.repository import SampleRepository
from tests.fixtures.http_server import LoopbackServer
from tests.fixtures.s3server import S3Server
from tests.pipeline.conftest import add_url_sample, pipeline_settings, run_pipeline
from tests.pipeline.test_staging_cleanup import publish_after_a_failed_generation


@pytest.fixture
def s3_runtime(tmp_path: Path, s3_server: S3Server, s3_prefix: str) -> Iterator[Runtime]:
    """A runtime on SQLite whose storage is the S3 server, under the test's prefix."""
    settings = pipeline_settings(
        tmp_path, f"sqlite:///{tmp_path / 'app.db'}", f"sqlite:///{tmp_path / 'dbos.db'}"
    )
    settings.storage_url = f"s3://{s3_server.bucket}/{s3_prefix}"
    settings.s3_endpoint = s3_server.endpoint
    settings.s3_region = s3_server.region
    settings.s3_access_key_id = s3_server.access_key_id
    settings.s3_secret_access_key = s3_server.secret_access_key
    runtime = start_runtime(settings)
    start_dbos(settings, worker=True)
    try:
        yield runtime
    finally:
        stop_dbos()
        stop_runtime()


def test_artifacts_land_in_s3_with_types_and_cache_headers(
    s3_runtime: Runtime,
    media_server: LoopbackServer,
    s3_server: S3Server,
    s3_prefix: str,
    s3_client: Any,
) -> None:
    sample_id = add_url_sample(s3_runtime, f"{media_server.base}/clip.mp4")
    assert run_pipeline(sample_id) == "completed"
    with s3_runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None and sample.mp3_key and sample.hls_key
        mp3_key, hls_key = sample.mp3_key, sample.hls_key
    head = s3_client.head_object(Bucket=s3_server.bucket, Key=f"{s3_prefix}/{mp3_key}")
    assert head["ContentType"] == "audio/mpeg"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    playlist = s3_client.head_object(Bucket=s3_server.bucket, Key=f"{s3_prefix}/{hls_key}")
    assert playlist["ContentType"] == "application/vnd.apple.mpegurl"
    url = s3_runtime.storage.presigned_get_url(mp3_key, download_name="120bpm_Aminor_x.mp3")
    assert url is not None
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content[:3] in (b"ID3", b"\xff\xfb")
    assert "120bpm_Aminor_x.mp3" in response.headers["content-disposition"]
    staged = s3_client.list_objects_v2(Bucket=s3_server.bucket, Prefix=f"{s3_prefix}/staging/")
    assert staged.get("KeyCount", 0) == 0


def test_the_next_publish_removes_what_a_failed_generation_left_staged_on_s3(
    s3_runtime: Runtime, media_server: LoopbackServer
) -> None:
    publish_after_a_failed_generation(s3_runtime, f"{media_server.base}/loop.mp3")
