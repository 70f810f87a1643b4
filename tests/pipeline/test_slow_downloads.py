"""A slow source in the pipeline: `too_slow` fails the sample at once (no retry), and deleting
a sample mid-download ends the download, freeing its worker."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cratedig.models import SampleStatus
from cratedig.pipeline.queue import cancel_sample, enqueue_sample
from cratedig.samples import service
from cratedig.samples.repository import SampleRepository
from tests.pipeline.conftest import add_url_sample, run_pipeline, running_pipeline
from tests.sources.test_http import site
from tests.sources.test_slow_sources import dripping

# A retry would sleep this long first: a test that ends sooner saw none.
NO_RETRY_IN_TIME = {"fetch_retry_seconds": 30.0}


@pytest.mark.parametrize(
    ("limits", "says"),
    [
        ({"download_timeout_seconds": 2.0, "download_min_bytes_per_second": 0}, "took over 2 s"),
        (
            {"download_min_bytes_per_second": 1000, "download_slow_window_seconds": 1.0},
            "the minimum is 1000",
        ),
    ],
    ids=["deadline", "pace"],
)
def test_a_slow_source_fails_too_slow_without_a_retry(
    tmp_path: Path, limits: dict[str, Any], says: str
) -> None:
    with site() as web, running_pipeline("sqlite", tmp_path, **limits, **NO_RETRY_IN_TIME) as rt:
        web.pages["/drip.mp4"] = dripping(0.05, threading.Event())
        sample_id = add_url_sample(rt, f"{web.base}/drip.mp4")
        started = time.monotonic()
        assert run_pipeline(sample_id) == "failed"
        took = time.monotonic() - started
        with rt.transaction() as session:
            sample = SampleRepository(session).get(sample_id)
            assert sample is not None
            assert (sample.status, sample.step, sample.error_code, sample.attempts) == (
                SampleStatus.FAILED,
                "fetch_source",
                "too_slow",
                1,
            )
            assert says in (sample.error_message or "")
    assert took < 20, took  # one download, no 30 s retry sleep
    assert [path for path, _ in web.seen].count("/drip.mp4") == 1


def test_deleting_a_sample_mid_download_ends_the_download(tmp_path: Path) -> None:
    hung_up = threading.Event()
    settings = {"download_timeout_seconds": 120.0, "download_min_bytes_per_second": 0}
    with site() as web, running_pipeline("sqlite", tmp_path, **settings) as rt:
        web.pages["/drip.mp4"] = dripping(0.05, hung_up)
        sample_id = add_url_sample(rt, f"{web.base}/drip.mp4")
        enqueue_sample(sample_id, 0)
        waited = time.monotonic() + 30
        while not web.seen:
            assert time.monotonic() < waited, "the download never started"
            time.sleep(0.1)
        time.sleep(0.5)  # well into the body
        deleted = time.monotonic()
        with rt.transaction() as session:  # what DELETE /api/v1/samples/{id} does
            sample = SampleRepository(session).get(sample_id)
            assert sample is not None
            cancel_sample(sample.id, sample.generation)
            service.delete_sample(session, rt.storage, sample)
        assert hung_up.wait(10), "the download went on after the delete"
        assert time.monotonic() - deleted < 4
