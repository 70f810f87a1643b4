"""Every way TikTok fails, end to end through the pipeline: the sample ends `failed` with the
step, a stable `error_code` and a readable message; only retryable reasons are retried."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cratedig.models import SampleStatus
from cratedig.samples.repository import SampleRepository
from cratedig.samples.service import progress, sample_out
from cratedig.storage.keys import sample_prefix
from tests.fixtures.mitm_proxy import TestCA
from tests.fixtures.tiktok_site import (
    STATUS_DELETED,
    STATUS_GEO_FENCED,
    STATUS_REVIEWING,
    STATUS_SELF_SEE,
    FakePost,
    TikTokMedia,
    post_url,
)
from tests.pipeline.conftest import run_pipeline
from tests.pipeline.tiktok import TikTokPipeline, new_post, tiktok_pipeline

ATTEMPTS = 3


@pytest.fixture(scope="module")
def tiktok(
    tmp_path_factory: pytest.TempPathFactory, tiktok_media: TikTokMedia, test_ca: TestCA
) -> Iterator[TikTokPipeline]:
    """One SQLite pipeline for the module (the reasons do not depend on the database)."""
    tmp: Path = tmp_path_factory.mktemp("tiktok-failures")
    yield from tiktok_pipeline("sqlite", tmp, tiktok_media, test_ca, fetch_attempts=ATTEMPTS)


def _answering(status: tuple[int, str]) -> dict[str, object]:
    return {"status_code": status[0], "status_msg": status[1]}


# (post behaviour, error code, how many times the page is read)
CASES = [
    ({"status_code": 100004, "status_msg": "item doesn't exist"}, "not_found", 1),
    ({"status_code": 10216}, "private", 1),
    ({"status_code": 10222}, "private", 1),
    ({"login_wall": True}, "login_required", 1),
    ({"status_code": 10231, "status_msg": "not available in your region"}, "region_blocked", 1),
    ({"status_code": 10204}, "ip_blocked", 1),
    (_answering(STATUS_DELETED), "not_found", 1),
    (_answering(STATUS_SELF_SEE), "private", 1),
    (_answering(STATUS_GEO_FENCED), "region_blocked", 1),
    ({"age_restricted": True}, "login_required", 1),
    # TikTok has not finished reviewing the post: asked again (with backoff), then given up.
    (_answering(STATUS_REVIEWING), "under_review", ATTEMPTS),
    ({"page_status": 429}, "rate_limited", ATTEMPTS),
    ({"bot_wall": True}, "rate_limited", ATTEMPTS),
    ({"photo": True, "sound": False}, "unsupported_post", 1),
    ({"drop_page_requests": 99}, "network", ATTEMPTS),
    # An expired link is retried at once with a fresh page, then by the workflow.
    ({"expire_media_requests": 99}, "media_expired", 2 * ATTEMPTS),
]


@pytest.mark.parametrize(
    ("behaviour", "code", "page_reads"), CASES, ids=[f"{c[1]}-{n}" for n, c in enumerate(CASES)]
)
def test_each_failure_is_recorded_with_its_reason(
    tiktok: TikTokPipeline, behaviour: dict[str, object], code: str, page_reads: int
) -> None:
    post = tiktok.world.site.add(new_post(**behaviour))
    sample_id = tiktok.submit(post_url(post))
    assert run_pipeline(sample_id) == "failed"
    with tiktok.runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None and sample.status is SampleStatus.FAILED
        assert (sample.step, sample.error_code) == ("fetch_source", code)
        assert sample.error_message and "Traceback" not in sample.error_message
        report = progress(session, sample)
        assert (report.error_code, report.step) == (code, "fetch_source")
        assert sample_out(sample, tiktok.runtime.storage).error_code == code
        assert sample.attempts == 1  # one pipeline run; retries are within its steps
    assert tiktok.world.site.page_fetches[post.video_id] == page_reads
    assert tiktok.runtime.storage.list(sample_prefix(sample_id) + "/") == []


def test_a_transient_failure_recovers_within_the_same_run(tiktok: TikTokPipeline) -> None:
    post = tiktok.world.site.add(new_post(drop_page_requests=ATTEMPTS - 1))
    sample_id = tiktok.submit(post_url(post))
    assert run_pipeline(sample_id) == "completed"
    assert tiktok.world.site.page_fetches[post.video_id] == ATTEMPTS


def test_a_failed_rerun_keeps_the_media_that_worked(tiktok: TikTokPipeline) -> None:
    post = tiktok.world.site.add(new_post())
    sample_id = tiktok.submit(post_url(post))
    assert run_pipeline(sample_id) == "completed"
    storage = tiktok.runtime.storage
    before = {item.key: item.size for item in storage.list(sample_prefix(sample_id) + "/")}
    tiktok.world.site.posts[post.video_id] = FakePost(
        post.video_id, status_code=100004, status_msg="item doesn't exist"
    )
    with tiktok.runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None
        sample.generation, sample.status = 1, SampleStatus.PENDING
    assert run_pipeline(sample_id, 1) == "failed"
    after = {item.key: item.size for item in storage.list(sample_prefix(sample_id) + "/")}
    assert after == before and len(before) > 5
    with tiktok.runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None and sample.error_code == "not_found"
        assert sample.mp3_key and sample.hls_key and sample.cover_key
