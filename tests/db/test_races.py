"""Losing an insert race to another transaction keeps ours usable (PostgreSQL: real MVCC)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete, event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from cratedig.creators.repository import CreatorRepository
from cratedig.db import make_engine
from cratedig.models import Creator, Sample
from cratedig.samples.repository import SampleRepository
from tests.fixtures.factories import make_sample


@pytest.fixture
def pg_engine(postgresql_url: URL) -> Iterator[Engine]:
    engine = make_engine(postgresql_url)
    yield engine
    engine.dispose()


def commit_first(engine: Engine, table: str, rival: Callable[[Session], None]) -> None:
    """Before `engine`'s next INSERT into `table`, commit `rival`'s row from elsewhere."""
    fired: list[bool] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not fired and statement.startswith(f"INSERT INTO {table}"):
            fired.append(True)
            with Session(engine) as other, other.begin():
                rival(other)

    event.listen(engine, "before_cursor_execute", before)


def test_get_or_add_returns_the_row_that_won(pg_engine: Engine) -> None:
    winner = make_sample(source_id="race-1", id=uuid.uuid4())
    winner_id = winner.id
    commit_first(pg_engine, "samples", lambda other: other.add(winner))
    try:
        with Session(pg_engine) as session, session.begin():
            repo = SampleRepository(session)
            sample, created = repo.get_or_add(make_sample(source_id="race-1"))
            assert not created and sample.id == winner_id
            repo.add(make_sample(source_id="race-2"))  # the transaction still works
            session.rollback()
    finally:
        with Session(pg_engine) as cleanup, cleanup.begin():
            cleanup.execute(delete(Sample).where(Sample.source_id.in_(["race-1", "race-2"])))


def test_upsert_by_username_updates_the_row_that_won(pg_engine: Engine) -> None:
    commit_first(pg_engine, "creators", lambda other: other.add(Creator(username="racer")))
    try:
        with Session(pg_engine) as session, session.begin():
            creator = CreatorRepository(session).upsert_by_username("racer", nickname="Won")
            assert creator.nickname == "Won"
            session.flush()
            session.rollback()
    finally:
        with Session(pg_engine) as cleanup, cleanup.begin():
            cleanup.execute(delete(Creator).where(Creator.username == "racer"))
