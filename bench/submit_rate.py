"""What the shared submission rate limit costs a submission: one token taken from the
database's buckets (a transaction with one upsert), on SQLite and on PostgreSQL.

The tests' PostgreSQL runs without fsync, so a durable commit costs nothing there: point
CRATEDIG_TEST_POSTGRES_URL at a server with fsync on to see what skipping the flush saves.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from bench.table import print_table
from cratedig.db import make_engine, migrate
from cratedig.http.rate_limit import SharedBuckets
from cratedig.http.submit_buckets import take_token
from tests.db.conftest import create_postgres_database, drop_postgres_database

CLIENTS = 200  # distinct addresses, each taking a few tokens of its 30 a minute
TURN = 100


def timed_takes(takes: dict[str, Callable[[str], object]], count: int) -> dict[str, list[float]]:
    """Milliseconds per take of each kind, the kinds taking turns so they share one load."""
    for n in range(20):
        for take in takes.values():
            take(f"warm-{n}")
    times: dict[str, list[float]] = {name: [] for name in takes}
    # Turns of a block each: a durable commit flushes the log the others left unflushed.
    for block in range(0, count, TURN):
        for name, take in takes.items():
            for n in range(block, min(count, block + TURN)):
                started = time.perf_counter()
                take(f"{name}-198.51.100.{n % CLIENTS}")
                times[name].append((time.perf_counter() - started) * 1000)
    return times


def durable_take(engine: Engine) -> Callable[[str], object]:
    """A take whose commit waits for the write-ahead log flush (what the service skips)."""

    def take(client: str) -> float:
        with engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO ON")
            return take_token(connection, client, 30)

    return take


def shipped_take(engine: Engine) -> Callable[[str], object]:
    """A take as the middleware makes it (commit without waiting for the flush)."""
    buckets = SharedBuckets()
    return lambda client: buckets.take(engine, client, 30)


def table_rows(takes: dict[str, Callable[[str], object]], count: int) -> list[list[str]]:
    """Per kind of take: name, count, p50 and p99 milliseconds."""
    rows = []
    for name, times in timed_takes(takes, count).items():
        ordered = sorted(times)
        p99 = ordered[int(len(ordered) * 0.99) - 1]
        rows.append([name, str(len(times)), f"{statistics.median(times):.2f}", f"{p99:.2f}"])
    return rows


def main(argv: list[str] | None = None) -> int:
    """Time takes on an SQLite file and a PostgreSQL database; print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--takes", type=int, default=1000)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'buckets.db'}"
        migrate(sqlite_url)
        engine = make_engine(sqlite_url)
        rows += table_rows({"SQLite file": shipped_take(engine)}, args.takes)
        engine.dispose()
    pg_url = create_postgres_database("cratedig_bench")
    try:
        migrate(pg_url)
        engine = make_engine(pg_url)
        takes = {"PostgreSQL": shipped_take(engine), "PostgreSQL, durable": durable_take(engine)}
        rows += table_rows(takes, args.takes)
        engine.dispose()
    finally:
        drop_postgres_database(pg_url)
    print_table(
        "Submission rate limit: one token taken from the shared buckets (one client, loopback)",
        ["database", "takes", "p50 ms", "p99 ms"],
        rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
