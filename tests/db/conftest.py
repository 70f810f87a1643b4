"""Database fixtures: each test runs on SQLite and on PostgreSQL, in a rolled-back transaction.

Each pytest(-xdist) worker migrates its own SQLite file and its own throwaway PostgreSQL
database (created in the session's cluster, see tests/fixtures/postgres.py, dropped at the
end). A PostgreSQL that cannot start fails the tests; it never skips them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from cratedig.db import make_engine, migrate
from tests.fixtures.postgres import admin_url, create_postgres_database, drop_postgres_database

BACKENDS = ("sqlite", "postgresql")
__all__ = ["create_postgres_database", "drop_postgres_database"]  # imported by other tests


def __getattr__(name: str) -> URL:
    # ADMIN_URL is resolved on first use: reading it starts the session's cluster.
    if name == "ADMIN_URL":
        return admin_url()
    raise AttributeError(name)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database file for this worker."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'cratedig.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[URL]:
    """A migrated throwaway PostgreSQL database for this worker."""
    url = create_postgres_database()
    try:
        migrate(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def engines() -> Iterator[dict[str, Engine]]:
    """One engine per backend, made on first use."""
    made: dict[str, Engine] = {}
    yield made
    for engine in made.values():
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, engines: dict[str, Engine]) -> Engine:
    """The engine of the backend this test instance runs on."""
    backend: str = request.param
    if backend not in engines:
        url = request.getfixturevalue(f"{backend}_url")
        engines[backend] = make_engine(url)
    return engines[backend]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Code under test may use savepoints (begin_nested) freely; nothing is ever committed.
    """
    with engine.connect() as connection:
        transaction = connection.begin()
        db_session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield db_session
        finally:
            db_session.close()
            transaction.rollback()


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[Callable[[str], str | URL]]:
    """Make empty (unmigrated) databases of either backend for migration tests."""
    made: list[URL] = []

    def make(backend: str) -> str | URL:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / 'nested' / 'dir' / 'fresh.db'}"
        url = create_postgres_database("cratedig_fresh")
        made.append(url)
        return url

    yield make
    for url in made:
        drop_postgres_database(url)
