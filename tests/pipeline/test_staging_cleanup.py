"""Staging of ended generations goes at the next publish: what a generation that failed in a
storage outage left staged (its clean-up cut by the same outage) is removed when a later
generation of the sample is published. tests/faults reproduces the outage itself on S3."""

from __future__ import annotations

import uuid

from cratedig.models import SampleStatus
from cratedig.operations.texts.reprocess import reprocess_ids
from cratedig.runtime import Runtime
from cratedig.samples.repository import SampleRepository
from cratedig.storage.keys import AUDIO_MP3, sample_staging_prefix, staging_key
from tests.fixtures.http_server import LoopbackServer
from tests.pipeline.conftest import add_url_sample, run_pipeline


def fail_with_staging_left(runtime: Runtime, sample_id: uuid.UUID, generation: int) -> set[str]:
    """Leave the sample as a generation that failed in an outage leaves it; the staged keys."""
    left = {
        staging_key(sample_id, generation, "source/original.mp3"),
        staging_key(sample_id, generation, AUDIO_MP3),
    }
    for key in left:
        runtime.storage.put_bytes(key, b"staged before the outage")
    with runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None
        sample.generation, sample.status = generation, SampleStatus.FAILED
        sample.error_code, sample.error_message = "storage", "storage unavailable"
    return left


def staged(runtime: Runtime, sample_id: uuid.UUID) -> set[str]:
    """Every staged key of the sample."""
    return {item.key for item in runtime.storage.list(sample_staging_prefix(sample_id) + "/")}


def publish_after_a_failed_generation(runtime: Runtime, url: str) -> None:
    """Generation 0 published, 1 failed leaving staging, 2 published: nothing staged left."""
    sample_id = add_url_sample(runtime, url)
    assert run_pipeline(sample_id) == "completed"
    left = fail_with_staging_left(runtime, sample_id, 1)
    assert staged(runtime, sample_id) == left
    assert reprocess_ids(runtime, [sample_id], out=lambda _line: None).triggered == 1
    assert run_pipeline(sample_id, 2) == "completed"
    assert staged(runtime, sample_id) == set()


def test_the_next_publish_removes_what_a_failed_generation_left_staged(
    runtime: Runtime, media_server: LoopbackServer
) -> None:
    publish_after_a_failed_generation(runtime, f"{media_server.base}/loop.mp3")
