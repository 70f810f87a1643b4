"""The shared TikTok pace: one row in the database spaces requests across workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cratedig.models import RateLimit
from cratedig.pipeline.pacing import SharedPace
from cratedig.runtime import current_runtime, start_runtime, stop_runtime
from tests.db.conftest import create_postgres_database, drop_postgres_database
from tests.pipeline.conftest import pipeline_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """A started runtime (no worker) on each database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
        start_runtime(pipeline_settings(tmp_path, url, url))
        yield
        stop_runtime()
        return
    pg_url = create_postgres_database("cratedig_pace")
    url = pg_url.render_as_string(hide_password=False)
    start_runtime(pipeline_settings(tmp_path, url, url))
    yield
    stop_runtime()
    drop_postgres_database(pg_url)


def test_concurrent_callers_are_spaced_by_the_interval(database: None) -> None:
    pace = SharedPace("test-pace", per_second=20.0)  # one every 50 ms
    calls, threads = 8, 4
    start = time.monotonic()

    def caller() -> None:
        for _ in range(calls // threads):
            pace()

    workers = [threading.Thread(target=caller) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # Sleeps never end early: 8 reserved slots 50 ms apart take at least 7 intervals.
    assert time.monotonic() - start >= (calls - 1) * pace.interval * 0.99
    with current_runtime().transaction() as session:
        row = session.get(RateLimit, "test-pace")
        assert row is not None and row.next_at >= time.time() - 1


def test_paces_with_different_names_do_not_wait_for_each_other(database: None) -> None:
    SharedPace("slow", per_second=0.2)()  # the next "slow" slot is five seconds ahead
    start = time.monotonic()
    SharedPace("fast", per_second=0.2)()
    assert time.monotonic() - start < 4.0
