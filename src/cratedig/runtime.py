"""The process-wide things every boundary needs: settings, database sessions, storage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from anyio import CapacityLimiter, to_thread
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from cratedig.config import Settings, load_settings
from cratedig.db import make_engine, make_read_engine, make_session_factory, migrate, run_read
from cratedig.scratch import release_process_folders, use_root
from cratedig.sqlite_paths import prepare_sqlite_files
from cratedig.storage import Storage, storage_from_settings

T = TypeVar("T")


@dataclass
class Runtime:
    """One per process, made at start-up (API lifespan, worker, CLI command)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: Storage
    reader: Engine
    """Single-statement reads of the public API (db.make_read_engine)."""
    _read_limiter: CapacityLimiter | None = field(default=None, repr=False)

    async def read(self, work: Callable[[Connection], T]) -> T:
        """`work` on a read connection in a worker thread (a lost connection is retried
        once), at most `read_connections` at a time: the others wait here, in the event
        loop, not for the pool in a thread."""
        if self._read_limiter is None:  # made in the event loop that uses it
            self._read_limiter = CapacityLimiter(self.settings.read_connections)
        return await to_thread.run_sync(run_read, self.reader, work, limiter=self._read_limiter)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session


_current: Runtime | None = None


def start_runtime(settings: Settings | None = None, *, run_migrations: bool = True) -> Runtime:
    """Open the database (migrated) and storage, and make them this process's runtime; the
    SQLite files' folders are made first (UnusablePathError names a setting that can't be)."""
    global _current
    settings = settings or load_settings()
    if problems := settings.production_problems():
        raise RuntimeError("refusing to start in production mode: " + "; ".join(problems))
    prepare_sqlite_files(settings)
    use_root(settings.temp_dir)
    if run_migrations:
        migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    _current = Runtime(
        settings,
        engine,
        make_session_factory(engine),
        storage_from_settings(settings),
        make_read_engine(engine, settings.read_connections),
    )
    return _current


def current_runtime() -> Runtime:
    """The runtime started in this process (workflow steps use it: they take only ids)."""
    if _current is None:
        raise RuntimeError("cratedig runtime not started: call start_runtime() first")
    return _current


def stop_runtime() -> None:
    """Dispose of the database engine; remove this process's temp folder (a job still running
    in an abandoned thread loses its files: it is never recorded as done, so it runs again)."""
    global _current
    if _current is not None:
        if _current.reader.pool is not _current.engine.pool:
            _current.reader.dispose()
        _current.engine.dispose()
        _current = None
    release_process_folders()
