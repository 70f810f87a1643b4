"""`GET /api/v1/samples` latency with filters on a 100k-sample library, SQLite and PostgreSQL,
through a real API process (uvicorn) on loopback."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.seed import KEYS, TAGS, WORDS, seed_library
from bench.table import print_table
from cratedig.db import make_engine, migrate
from tests.db.conftest import create_postgres_database, drop_postgres_database


def queries(count: int, seed: int = 3) -> list[dict[str, str]]:
    """A mix of what the library page asks: filters, search, sorts."""
    rng = random.Random(seed)
    mix: list[dict[str, str]] = []
    for n in range(count):
        low = rng.randrange(60, 170)
        choice = n % 6
        if choice == 0:
            mix.append({})
        elif choice == 1:
            mix.append({"bpm_min": str(low), "bpm_max": str(low + 10), "sort": "bpm_asc"})
        elif choice == 2:
            mix.append({"key": rng.choice(KEYS), "scale": rng.choice(["major", "minor"])})
        elif choice == 3:
            mix.append({"tags": rng.choice(TAGS), "sort": "popular"})
        elif choice == 4:
            mix.append({"q": rng.choice(WORDS)})
        else:
            mix.append({"creator": f"creator{rng.randrange(500)}", "sort": "oldest"})
    return mix


def measure(base: str, mix: list[dict[str, str]]) -> list[float]:
    """Milliseconds per request, one client on loopback; prints the slowest kinds."""
    times = []
    by_kind: dict[str, list[float]] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for params in mix[:20]:  # warm caches and connections
            client.get("/api/v1/samples", params=params | {"limit": "24"})
        for params in mix:
            started = time.perf_counter()
            response = client.get("/api/v1/samples", params=params | {"limit": "24"})
            times.append((time.perf_counter() - started) * 1000)
            by_kind.setdefault(",".join(sorted(params)) or "(none)", []).append(times[-1])
            response.raise_for_status()
    for kind, values in sorted(by_kind.items()):
        print(f"  {kind:28s} p50 {statistics.median(values):7.1f} ms  max {max(values):7.1f} ms")
    return times


def serve(database_url: str, root: Path, port: int) -> subprocess.Popen[bytes]:
    """An API process (no embedded worker) on 127.0.0.1:port."""
    env = dict(os.environ) | {
        "CRATEDIG_DATABASE_URL": database_url,
        "CRATEDIG_DATA_DIR": str(root),
        "CRATEDIG_STORAGE_URL": f"file://{root / 'media'}",
        "CRATEDIG_EMBEDDED_WORKER": "false",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "cratedig.api:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code < 500:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the API did not start")


def run_backend(
    name: str, database_url: str, rows: int, mix: list[dict[str, str]], root: Path, port: int
) -> list[str]:
    """Seed, serve, measure one database; a table row."""
    migrate(database_url)
    engine = make_engine(database_url)
    started = time.perf_counter()
    seed_library(engine, rows)
    seeded = time.perf_counter() - started
    # Planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) keeps them.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    process = serve(database_url, root, port)
    try:
        times = sorted(measure(f"http://127.0.0.1:{port}", mix))
    finally:
        process.terminate()
        process.wait(timeout=30)
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    return [
        name,
        f"{rows:,}",
        f"{seeded:.0f} s",
        f"{p50:.1f}",
        f"{p95:.1f}",
        "yes" if p95 <= 20 else "NO",
    ]


def main(argv: list[str] | None = None) -> int:
    """Print p50/p95 per database."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=600)
    args = parser.parse_args(argv)
    mix = queries(args.requests)
    table = []
    with tempfile.TemporaryDirectory(prefix="cratedig-bench-") as tmp:
        root = Path(tmp)
        table.append(
            run_backend("SQLite", f"sqlite:///{root / 'lib.db'}", args.rows, mix, root, 8711)
        )
        pg = create_postgres_database("cratedig_bench")
        try:
            table.append(
                run_backend(
                    "PostgreSQL",
                    pg.render_as_string(hide_password=False),
                    args.rows,
                    mix,
                    root,
                    8712,
                )
            )
        finally:
            drop_postgres_database(pg)
    print_table(
        f"GET /api/v1/samples, limit 24, {args.requests} requests of a filter mix, "
        "one client on loopback (ms)",
        ["database", "rows", "seed", "p50", "p95", "p95 ≤ 20 ms"],
        table,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
