"""Submission token buckets in the database: refill, the sweep, the database's clock, and
concurrent takers that never spend the same last token twice (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from cratedig.db import make_engine
from cratedig.http.submit_buckets import forget_full_buckets, take_token
from cratedig.models import SubmitBucket


def clients(session: Session) -> list[str]:
    """The clients that have a bucket row."""
    return sorted(session.scalars(select(SubmitBucket.client)))


class TestTakeToken:
    def test_the_bucket_refills_at_the_rate(self, session: Session) -> None:
        connection = session.connection()

        def take(now: float) -> float:
            return take_token(connection, "198.51.100.1", 2, now=now)

        assert [take(1000.0), take(1000.0)] == [0.0, 0.0]
        assert take(1000.0) == pytest.approx(30.0)  # one token every 30 s
        assert take(1029.0) == pytest.approx(1.0)
        assert take(1030.0) == 0.0
        # A long pause refills to the burst size, never beyond.
        assert [take(5000.0) == 0.0 for _ in range(3)] == [True, True, False]

    def test_clients_and_rates_are_apart(self, session: Session) -> None:
        connection = session.connection()
        assert take_token(connection, "a", 1, now=10.0) == 0.0
        assert take_token(connection, "a", 1, now=10.0) == pytest.approx(60.0)
        assert take_token(connection, "b", 1, now=10.0) == 0.0
        # Raised at run time: the stored bucket refills towards the new size.
        assert take_token(connection, "a", 120, now=11.0) == 0.0

    def test_a_clock_behind_the_last_update_refills_nothing(self, session: Session) -> None:
        connection = session.connection()
        assert take_token(connection, "c", 1, now=100.0) == 0.0
        assert take_token(connection, "c", 1, now=40.0) == pytest.approx(60.0)

    def test_the_database_clock_is_used_by_default(self, session: Session) -> None:
        connection = session.connection()
        assert take_token(connection, "d", 1) == 0.0
        assert 59.0 < take_token(connection, "d", 1) <= 60.0
        # Last spent a minute ago by the database's own clock: full again.
        session.execute(update(SubmitBucket).values(updated_at=SubmitBucket.updated_at - 61.0))
        assert take_token(connection, "d", 1) == 0.0

    def test_long_client_keys_are_cut_to_the_column(self, session: Session) -> None:
        key = "x" * 200
        assert take_token(session.connection(), key, 1, now=1.0) == 0.0
        assert take_token(session.connection(), key, 1, now=1.0) > 0.0
        assert clients(session) == ["x" * 64]


class TestForgetFullBuckets:
    def test_only_buckets_idle_for_a_minute_go(self, session: Session) -> None:
        connection = session.connection()
        session.execute(delete(SubmitBucket))
        for client, now in (("old", 100.0), ("recent", 150.0)):
            take_token(connection, client, 30, now=now)
        assert forget_full_buckets(connection, now=159.0) == 0
        assert forget_full_buckets(connection, now=161.0) == 1
        assert clients(session) == ["recent"]
        assert forget_full_buckets(connection) == 1  # the database's clock: years later


@pytest.fixture
def pg_engine(postgresql_url: URL) -> Iterator[Engine]:
    engine = make_engine(postgresql_url, pool_size=8)
    yield engine
    with engine.begin() as connection:
        connection.execute(delete(SubmitBucket).where(SubmitBucket.client == "racer"))
    engine.dispose()


def test_concurrent_takers_spend_each_token_once(pg_engine: Engine) -> None:
    rate, takers, rounds = 5, 8, 4
    answers: list[float] = []
    start = threading.Barrier(takers)

    def take_some() -> None:
        start.wait()
        for _ in range(rounds):
            with pg_engine.begin() as connection:
                answers.append(take_token(connection, "racer", rate))

    threads = [threading.Thread(target=take_some) for _ in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == takers * rounds
    # 32 takes within a moment: the burst of 5, and at most one token refilled meanwhile.
    assert answers.count(0.0) in (rate, rate + 1), sorted(answers)
