"""Public reads run at most CRATEDIG_READ_CONNECTIONS at a time, on as many connections
kept open (an app of its own: DBOS allows one per process, so not beside the `api` one)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from cratedig.api import create_app
from tests.api.conftest import LOOPBACK, Api, api_settings
from tests.db.conftest import create_postgres_database, drop_postgres_database
from tests.fixtures.factories import make_sample

READ_CONNECTIONS = 2
CONCURRENT_READS = 12


@pytest.fixture(scope="module")
def pg_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """An app on PostgreSQL allowed READ_CONNECTIONS public reads at once."""
    tmp = tmp_path_factory.mktemp("api-reads")
    url = create_postgres_database("cratedig_reads")
    settings = api_settings(
        tmp, url.render_as_string(hide_password=False), read_connections=READ_CONNECTIONS
    )
    app = create_app(settings)
    try:
        with TestClient(app, client=LOOPBACK) as client:
            yield Api(app, client, settings, tmp / "media")
    finally:
        drop_postgres_database(url)


def test_concurrent_reads_share_the_kept_connections(pg_api: Api) -> None:
    sample = make_sample()
    pg_api.add(sample)
    opened: list[Any] = []
    reader = pg_api.runtime.reader

    def count(connection: Any, record: Any) -> None:
        opened.append(connection)

    event.listen(reader, "connect", count)
    try:
        # A lock that every read of the table waits for: the requests pile up at once.
        with pg_api.runtime.engine.connect() as locker:
            locker.execute(text("LOCK TABLE samples IN ACCESS EXCLUSIVE MODE"))
            with ThreadPoolExecutor(CONCURRENT_READS) as pool:
                answers = [
                    pool.submit(_get, pg_api.client, f"/api/v1/samples/{sample.id}")
                    for _ in range(CONCURRENT_READS)
                ]
                _wait_for_blocked_reads(pg_api, READ_CONNECTIONS)
                time.sleep(0.5)  # any read that would open a connection of its own does now
                locker.rollback()  # the lock goes; every read may proceed
                statuses = [answer.result(timeout=60) for answer in answers]
    finally:
        event.remove(reader, "connect", count)
    assert statuses == [200] * CONCURRENT_READS
    # Never more connections than the setting, none opened for one read and closed after.
    assert len(opened) <= READ_CONNECTIONS
    assert reader.pool.checkedout() == 0
    assert reader.pool.size() == READ_CONNECTIONS  # type: ignore[attr-defined]


def _wait_for_blocked_reads(api: Api, count: int, timeout: float = 20.0) -> None:
    """Until `count` sessions wait for a lock (the reads behind LOCK TABLE)."""
    deadline = time.monotonic() + timeout
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    while time.monotonic() < deadline:
        with api.runtime.engine.connect() as probe:
            if probe.execute(query).scalar_one() >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} reads reached the database in {timeout} s")


def _get(client: TestClient, path: str) -> int:
    return client.get(path).status_code
