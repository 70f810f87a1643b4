"""Time to queue a reprocess of 10,000 samples (select, record, reset, enqueue), per database.

The pipelines themselves are not run here: this measures the trigger, which the replaced
system did as a loop with sleeps.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.seed import seed_library
from bench.table import print_table
from cratedig.config import Settings
from cratedig.db import make_engine, migrate
from cratedig.operations.command import resume
from cratedig.operations.framework import get_kind
from cratedig.operations.kinds.reprocess import ReprocessRequest
from cratedig.operations.runner import record, select_items
from cratedig.pipeline.queue import start_dbos, stop_dbos
from cratedig.runtime import start_runtime, stop_runtime
from tests.db.conftest import create_postgres_database, drop_postgres_database


def run_backend(name: str, database_url: str, system_url: str, root: Path, rows: int) -> list[str]:
    """Seed, then trigger a reprocess of everything; one table row."""
    migrate(database_url)
    engine = make_engine(database_url)
    seed_library(engine, rows)
    engine.dispose()
    settings = Settings(
        data_dir=root,
        database_url=database_url,
        dbos_system_database_url=system_url,
        storage_url=f"file://{root / 'media'}",
    )
    runtime = start_runtime(settings)
    start_dbos(settings, worker=False)
    try:
        started = time.perf_counter()
        request, kind = ReprocessRequest(), get_kind("reprocess")
        selection = select_items(runtime, kind, request)
        selected = time.perf_counter()
        operation_id = record(runtime, kind, request, selection, origin="bench")
        recorded = time.perf_counter()
        result = resume(runtime, operation_id, out=lambda _line: None).summary
        done = time.perf_counter()
    finally:
        stop_dbos(grace_seconds=0)
        stop_runtime()
    total = done - started
    return [
        name,
        f"{result.triggered:,}",
        f"{selected - started:.2f}",
        f"{recorded - selected:.2f}",
        f"{done - recorded:.2f}",
        f"{total:.1f}",
        f"{result.triggered / total:,.0f}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the trigger times on SQLite and PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    table = []
    with tempfile.TemporaryDirectory(prefix="cratedig-bench-") as tmp:
        root = Path(tmp)
        table.append(
            run_backend(
                "SQLite",
                f"sqlite:///{root / 'lib.db'}",
                f"sqlite:///{root / 'dbos.db'}",
                root,
                args.rows,
            )
        )
        pg = create_postgres_database("cratedig_bench_reprocess")
        try:
            url = pg.render_as_string(hide_password=False)
            table.append(
                run_backend("PostgreSQL", url, url.replace("+psycopg", ""), root, args.rows)
            )
        finally:
            drop_postgres_database(pg)
    print_table(
        f"Reprocess trigger for {args.rows:,} samples (seconds)",
        ["database", "queued", "select", "record", "reset+enqueue", "total", "samples/s"],
        table,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
