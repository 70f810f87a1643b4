"""PostgreSQL plans a repeated listing once: the prepared statement keeps a generic plan."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from bench.seed import seed_library
from cratedig.db import make_engine, make_read_engine
from cratedig.samples.query import SampleFilters, SampleSort
from cratedig.samples.reads import SampleReads

# psycopg prepares a statement at its 5th run; PostgreSQL weighs a generic plan after 5 more.
RUNS = 15
LIBRARY = 5000


def _plans(reader: Engine, filters: SampleFilters, sort: SampleSort, limit: int) -> list[int]:
    """Generic plans PostgreSQL used for the listing's prepared statement, on one connection."""
    with reader.connect() as connection:
        for _ in range(RUNS):
            SampleReads(connection).page(filters, sort, None, limit)
        found = connection.execute(
            text(
                "SELECT generic_plans FROM pg_prepared_statements"
                " WHERE statement LIKE '%UNION ALL%'"
            )
        )
        return list(found.scalars())


def test_an_unfiltered_listing_is_not_planned_at_every_request(postgresql_url: URL) -> None:
    engine = make_engine(postgresql_url)
    reader = make_read_engine(engine, 1)
    try:
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE samples, creators CASCADE"))
        # Enough rows that a plan for an unknown page size looks costly to the planner.
        seed_library(engine, LIBRARY, creators=50)
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        for sort in (SampleSort.NEWEST, SampleSort.POPULAR):
            plans = _plans(reader, SampleFilters(), sort, 24)
            assert plans and plans[-1] > 0, f"{sort}: planned at every run ({plans})"
            reader.dispose()  # the next sort on a fresh connection
    finally:
        reader.dispose()
        with engine.begin() as connection:  # the database is shared with the other tests
            connection.execute(text("TRUNCATE samples, creators CASCADE"))
        engine.dispose()
