"""Engine and session factory from a database URL, and migrations to the newest schema.

The caller (a request dependency or a workflow step) owns the transaction: it commits
or rolls back; repositories and services only flush.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

# The Alembic scripts ship inside the package, so migrate() works from any cwd and install.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000
# An execution option marking a read-only engine: its SQLite transactions begin deferred.
READ_ONLY = "cratedig_read_only"
READ_CONNECTIONS = 8  # Settings.read_connections' default
T = TypeVar("T")


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL; plain postgresql:// (or postgres://) means psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine: SQLite in WAL mode with foreign keys, PostgreSQL with pre-ping."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


def make_read_engine(engine: Engine, connections: int = READ_CONNECTIONS) -> Engine:
    """An engine for the public read paths: no transaction to open and close, no ping.

    PostgreSQL: a pool of its own of `connections` kept open (no overflow: a connection
    opened for one read and closed after it costs the server a process start), in autocommit
    mode without pre-ping, so a read is one round trip (each statement sees its own
    snapshot; `run_read` retries a lost connection). Callers run at most `connections`
    reads at once (Runtime.read), so none waits for the pool.
    SQLite: the same pool, beginning deferred transactions, so readers never wait for the
    write lock that `BEGIN IMMEDIATE` takes.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{READ_ONLY: True})
    return create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_size=connections,
        max_overflow=0,
        pool_reset_on_return=None,  # autocommit: no transaction is ever left to roll back
    )


def run_read(engine: Engine, work: Callable[[Connection], T]) -> T:
    """`work` on a pooled connection; once more when that connection turns out lost (a read
    engine skips the pre-ping, and a read is safe to repeat)."""
    try:
        with engine.connect() as connection:
            return work(connection)
    except sa_exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
    with engine.connect() as connection:
        return work(connection)


def is_transient_db_error(error: BaseException) -> bool:
    """A lost or refused connection, a full pool or a busy SQLite file: worth retrying."""
    if isinstance(error, sa_exc.TimeoutError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    return False


def describe_db_error(error: BaseException) -> str:
    """One line for a person: what the database said, without the SQL statement."""
    cause = getattr(error, "orig", None) or error
    said = next((line.strip() for line in str(cause).splitlines() if line.strip()), "")
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return f"database connection lost: {said}"
    return f"database error: {said or type(error).__name__}"


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose sessions keep loaded values readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def migrate(url: str | URL, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision` (the newest by default)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def downgrade(url: str | URL, revision: str) -> None:
    """Downgrade the database at `url` to `revision` ("base" removes everything)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def alembic_config(connection: Any = None) -> Config:
    """An Alembic config for the packaged scripts, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, **kwargs.pop("connect_args", {})}
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front, so concurrent writers (API threads and
        # pipeline steps) wait for each other via busy_timeout instead of failing with
        # "database is locked" when a read-then-write transaction tries to upgrade. A
        # read-only engine never writes: its transactions stay deferred and lock nothing.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
