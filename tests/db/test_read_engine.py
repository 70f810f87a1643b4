"""The read engine of the public routes: readers never wait for SQLite's write lock, and a
PostgreSQL connection lost while pooled is replaced (the read engine skips the pre-ping)."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from cratedig.db import make_engine, make_read_engine, run_read


def _one(connection: Connection) -> int:
    return int(connection.execute(text("SELECT 1")).scalar_one())


def test_sqlite_reads_while_a_writer_holds_the_lock(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    reader = make_read_engine(engine)
    try:
        with engine.connect() as writer:
            writer.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is taken
            assert run_read(reader, _one) == 1  # a deferred BEGIN does not wait for it
            writer.rollback()
    finally:
        engine.dispose()


def test_postgresql_read_after_the_pooled_connection_was_killed(postgresql_url: URL) -> None:
    engine = make_engine(postgresql_url)
    reader = make_read_engine(engine)
    try:
        pid = run_read(reader, lambda c: int(c.execute(text("SELECT pg_backend_pid()")).scalar()))
        with engine.begin() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert run_read(reader, _one) == 1
        # Autocommit: a read leaves no transaction open on its connection.
        state = run_read(
            reader,
            lambda c: c.execute(
                text("SELECT state FROM pg_stat_activity WHERE pid = pg_backend_pid()")
            ).scalar(),
        )
        assert state == "active"  # the query itself; no "idle in transaction" around it
    finally:
        reader.dispose()
        engine.dispose()
