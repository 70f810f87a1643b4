"""Submission token buckets in the database: a row per client, a token spent in one statement.

Every API process (on any machine) spends from the same rows, so the limit holds across them.
Times come from the database's clock, so machines whose clocks disagree still agree on how
much a bucket has refilled.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Float, cast, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from cratedig.models import SubmitBucket

# A bucket holds a minute's worth of tokens and refills at that many a minute, so any bucket
# untouched this long is full: the same as no row at all.
FULL_AFTER_SECONDS = 60.0
CLIENT_KEY_LENGTH = 64
UNIX_EPOCH_JULIAN_DAY = 2440587.5


def database_clock(connection: Connection) -> ColumnElement[float]:
    """The database's time in seconds since 1970, fixed for the whole statement."""
    if connection.dialect.name == "postgresql":
        return cast(func.extract("epoch", func.statement_timestamp()), Float)
    return (func.julianday("now") - literal(UNIX_EPOCH_JULIAN_DAY)) * literal(86400.0)


def without_durable_commit(connection: Connection) -> None:
    """Let this transaction's commit return before its WAL is flushed (PostgreSQL only).

    A crash may then forget the last moments of spending, which forgives a few submissions;
    in exchange a submission never waits for the disk to count it.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def take_token(
    connection: Connection, client: str, rate_per_minute: int, now: float | None = None
) -> float:
    """Spend one of `client`'s tokens: 0.0 when allowed, else the seconds until one is there.

    `rate_per_minute` tokens a minute, in bursts of up to that many. `now` (epoch seconds)
    replaces the database's clock, for tests.
    """
    key = client[:CLIENT_KEY_LENGTH]
    capacity = float(rate_per_minute)
    refill = rate_per_minute / 60.0
    clock = literal(now, Float) if now is not None else database_clock(connection)
    available = _available(connection, clock, capacity, refill)
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    # New client: a full bucket less this token. Known client: refill, then spend, but only
    # when a whole token is there; a refused request changes nothing and returns no row.
    spend = (
        insert(SubmitBucket)
        .values(client=key, tokens=capacity - 1.0, updated_at=clock)
        .on_conflict_do_update(
            index_elements=[SubmitBucket.client],
            set_={"tokens": available - 1.0, "updated_at": clock},
            where=available >= 1.0,
        )
        .returning(SubmitBucket.tokens)
    )
    if connection.execute(spend).first() is not None:
        return 0.0
    left = connection.execute(select(available).where(SubmitBucket.client == key)).scalar()
    return max(0.0, 1.0 - float(left or 0.0)) / refill


def forget_full_buckets(connection: Connection, now: float | None = None) -> int:
    """Delete the buckets that have refilled (whatever the rate); how many went."""
    clock = literal(now, Float) if now is not None else database_clock(connection)
    done = connection.execute(
        delete(SubmitBucket).where(SubmitBucket.updated_at < clock - literal(FULL_AFTER_SECONDS))
    )
    return int(done.rowcount)


def _available(
    connection: Connection, clock: ColumnElement[float], capacity: float, refill: float
) -> ColumnElement[float]:
    """The stored row's tokens after refilling until `clock`, at most `capacity`."""
    # A clock behind the last update (another writer's statement began later) refills nothing.
    elapsed = _pick(connection, "greatest", "max", literal(0.0), clock - SubmitBucket.updated_at)
    refilled = SubmitBucket.tokens + elapsed * literal(refill)
    least: ColumnElement[float] = _pick(connection, "least", "min", literal(capacity), refilled)
    return least


def _pick(connection: Connection, postgres_name: str, sqlite_name: str, *args: Any) -> Any:
    # SQLite spells GREATEST/LEAST as its many-argument max()/min().
    name = postgres_name if connection.dialect.name == "postgresql" else sqlite_name
    return getattr(func, name)(*args)
