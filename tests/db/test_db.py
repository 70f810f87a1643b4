"""Engines, migrations and portable column types."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from cratedig.db import downgrade, make_engine, make_session_factory, migrate, normalize_url
from cratedig.migrations import include_object
from cratedig.models import Base, Sample
from tests.db.conftest import BACKENDS
from tests.fixtures.factories import make_sample


class TestUrls:
    def test_plain_postgresql_means_psycopg3(self) -> None:
        assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
        assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
        assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"

    def test_sqlite_url_is_kept(self) -> None:
        assert normalize_url("sqlite:///./data/x.db").drivername == "sqlite"


class TestSqliteEngine:
    def test_creates_parent_dir_and_sets_pragmas(self, tmp_path: Path) -> None:
        engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'c.db'}")
        try:
            with engine.connect() as connection:
                pragma = connection.exec_driver_sql
                assert pragma("PRAGMA journal_mode").scalar() == "wal"
                assert pragma("PRAGMA foreign_keys").scalar() == 1
                assert pragma("PRAGMA busy_timeout").scalar() == 15000
            assert (tmp_path / "a" / "b" / "c.db").exists()
            with make_session_factory(engine)() as session:
                assert session.expire_on_commit is False
        finally:
            engine.dispose()

    def test_savepoints_roll_back_only_their_part(self, tmp_path: Path) -> None:
        engine = make_engine(f"sqlite:///{tmp_path / 'sp.db'}")
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            with Session(engine) as session, session.begin():
                session.execute(text("INSERT INTO t VALUES (1)"))
                savepoint = session.begin_nested()
                session.execute(text("INSERT INTO t VALUES (2)"))
                savepoint.rollback()
            with engine.connect() as connection:
                assert connection.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]
        finally:
            engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
class TestMigrations:
    def test_upgrade_down_and_up_again(
        self, backend: str, fresh_database: Callable[[str], str | URL]
    ) -> None:
        url = fresh_database(backend)
        migrate(url)
        migrate(url)  # at head already: nothing to do
        downgrade(url, "base")
        engine = make_engine(url)
        try:
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        finally:
            engine.dispose()
        migrate(url)
        engine = make_engine(url)
        try:
            tables = set(inspect(engine).get_table_names())
            assert {"samples", "creators", "sample_tags", "sample_steps"} <= tables
            search_table = "samples_fts" if backend == "sqlite" else "sample_search"
            assert search_table in tables
        finally:
            engine.dispose()

    def test_schema_matches_the_models(self, backend: str, request: pytest.FixtureRequest) -> None:
        engine = make_engine(request.getfixturevalue(f"{backend}_url"))
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={"include_object": include_object, "compare_type": True},
                )
                assert compare_metadata(context, Base.metadata) == []
        finally:
            engine.dispose()


class TestTypes:
    def test_times_come_back_aware_utc(self, session: Session) -> None:
        posted = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
        sample = make_sample(posted_at=posted)
        session.add(sample)
        session.flush()
        session.expire_all()
        loaded = session.get(Sample, sample.id)
        assert loaded is not None
        assert loaded.posted_at == posted
        assert loaded.posted_at is not None and loaded.posted_at.tzinfo == UTC
        assert loaded.created_at.tzinfo == UTC

    def test_naive_times_are_refused(self, session: Session) -> None:
        session.add(make_sample(posted_at=datetime(2026, 1, 1)))
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()

    def test_unknown_status_is_refused_by_the_database(self, session: Session) -> None:
        session.add(make_sample())
        session.flush()
        with pytest.raises(IntegrityError):
            session.execute(text("UPDATE samples SET status = 'bogus'"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_migration_0006_adds_and_removes_the_rhythm_columns(
    backend: str, fresh_database: Callable[[str], str | URL]
) -> None:
    url = fresh_database(backend)
    migrate(url, "0005")
    engine = make_engine(url)
    try:
        assert "beats" not in {c["name"] for c in inspect(engine).get_columns("samples")}
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO samples (id, source, source_url, source_id, status, attempts,"
                    " generation, download_count, bpm, created_at, updated_at) VALUES (:id,"
                    " 'tiktok', 'u', 's', 'completed', 0, 0, 0, 120.0, :now, :now)"
                ),
                {"id": "00000000-0000-4000-8000-000000000006", "now": datetime.now(UTC)},
            )
        migrate(url)
        engine.dispose()
        columns = {c["name"] for c in inspect(engine).get_columns("samples")}
        assert {"beats", "downbeats", "beats_per_bar", "loops"} <= columns
        with engine.connect() as connection:
            row = connection.execute(text("SELECT bpm, beats, beats_per_bar FROM samples")).one()
        assert tuple(row) == (120.0, None, None)  # analysed before: no beats, nothing lost
        downgrade(url, "0005")
        engine.dispose()
        columns = {c["name"] for c in inspect(engine).get_columns("samples")}
        assert not {"beats", "downbeats", "beats_per_bar", "loops"} & columns
        with engine.connect() as connection:
            assert connection.execute(text("SELECT bpm FROM samples")).scalar() == 120.0
    finally:
        engine.dispose()
