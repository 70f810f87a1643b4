"""The API under load: 100k samples on PostgreSQL, `cratedig serve` with 1 then 2 processes,
driven from a separate closed-loop client process on loopback (bench/load_client.py) with a
mix of listings (filters, search, sorts, cursor pages), sample details and sample statuses."""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL

from bench.api_list import queries
from bench.seed import seed_library
from bench.table import print_table
from cratedig.db import make_engine
from cratedig.models import Sample
from tests.db.conftest import ADMIN_URL

DATABASE = "cratedig_bench_load"  # kept between runs: seeding 100k rows takes a while
CRATEDIG = [sys.executable, "-m", "cratedig.cli"]
Result = dict[str, Any]  # what bench/load_client.py prints


def library_url(rows: int) -> URL:
    """The benchmark database with exactly `rows` samples, migrated; seeded only when needed."""
    url = ADMIN_URL.set(database=DATABASE)
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DATABASE}
            ).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{DATABASE}"')
    finally:
        admin.dispose()
    _migrate(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(select(func.count()).select_from(Sample)).scalar_one()
        if count != rows:
            print(f"seeding {rows:,} samples into {DATABASE} (once) …", flush=True)
            with engine.begin() as connection:
                connection.exec_driver_sql("TRUNCATE samples, creators CASCADE")
            seed_library(engine, rows)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        else:
            print(f"reusing {DATABASE} with {rows:,} samples", flush=True)
    finally:
        engine.dispose()
    return url


def _migrate(url: URL) -> None:
    """`cratedig migrate`, the deploy step: app tables and DBOS tables."""
    env = dict(os.environ) | {"CRATEDIG_DATABASE_URL": url.render_as_string(hide_password=False)}
    subprocess.run([*CRATEDIG, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)


def request_plan(url: URL, base: str, size: int = 4000, seed: int = 11) -> list[list[str]]:
    """[kind, path] pairs: 45 % listings, 10 % next pages, 25 % details, 20 % statuses."""
    rng = random.Random(seed)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            ids = [
                str(i)
                for i in connection.execute(
                    text("SELECT id FROM samples ORDER BY md5(id::text) LIMIT 2000")
                ).scalars()
            ]
    finally:
        engine.dispose()
    listings = [
        "/api/v1/samples?" + urlencode(params | {"limit": "24"}) for params in queries(600, seed)
    ]
    # Next pages need cursors the API made: ask it once for the first pages.
    pages = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for path in listings[:200]:
            cursor = client.get(path).raise_for_status().json()["next_cursor"]
            if cursor:
                pages.append(f"{path}&{urlencode({'cursor': cursor})}")
    plan = []
    for _ in range(size):
        roll = rng.random()
        if roll < 0.45:
            plan.append(["list", rng.choice(listings)])
        elif roll < 0.55:
            plan.append(["list next page", rng.choice(pages)])
        elif roll < 0.80:
            plan.append(["detail", f"/api/v1/samples/{rng.choice(ids)}"])
        else:
            plan.append(["status", f"/api/v1/samples/{rng.choice(ids)}/status"])
    return plan


def serve(url: URL, processes: int, port: int, root: Path) -> subprocess.Popen[bytes]:
    """`cratedig serve --workers N` as deployed: API only, pipelines left to workers."""
    env = dict(os.environ) | {
        "CRATEDIG_DATABASE_URL": url.render_as_string(hide_password=False),
        "CRATEDIG_DATA_DIR": str(root),
        "CRATEDIG_STORAGE_URL": f"file://{root / 'media'}",
        "CRATEDIG_EMBEDDED_WORKER": "false",
    }
    command = [*CRATEDIG, "serve", "--workers", str(processes), "--port", str(port)]
    with (root / f"serve-{processes}.log").open("ab") as log:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"], env=env, stdout=log, stderr=log
        )
    deadline = time.monotonic() + 300  # a busy 2-core machine takes a minute to start two
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                time.sleep(2)  # the other processes finish their start-up too
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the API did not start: {(root / f'serve-{processes}.log').read_text()}")


def drive(base: str, plan_file: Path, connections: int, warmup: float, duration: float) -> Result:
    """Run the load client in its own process; its JSON result."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load_client",
            "--base",
            base,
            "--plan",
            str(plan_file),
            "--connections",
            str(connections),
            "--warmup",
            str(warmup),
            "--duration",
            str(duration),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: Result = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    """Print rps and p50/p95/p99 for 1 and 2 API processes, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--processes", default="1,2", help="API process counts to compare")
    args = parser.parse_args(argv)
    url = library_url(args.rows)
    results: dict[int, Result] = {}
    with tempfile.TemporaryDirectory(prefix="cratedig-bench-") as tmp:
        root = Path(tmp)
        plan_file = root / "plan.json"
        for processes in [int(n) for n in args.processes.split(",")]:
            port = 8730 + processes
            server = serve(url, processes, port, root)
            try:
                base = f"http://127.0.0.1:{port}"
                if not plan_file.exists():
                    plan_file.write_text(json.dumps(request_plan(url, base)))
                load = os.getloadavg()[0]
                results[processes] = drive(
                    base, plan_file, args.connections, args.warmup, args.duration
                ) | {"load": load}
            finally:
                server.terminate()
                server.wait(timeout=60)
    _print(results, args)
    return 0


def _print(results: dict[int, Result], args: argparse.Namespace) -> None:
    first = results[min(results)]
    rows = []
    for processes, result in results.items():
        rows.append(
            [
                str(processes),
                f"{result['requests'] + result['errors']:,}",
                f"{result['rps']:.0f}",
                f"{result['p50']:.1f}",
                f"{result['p95']:.1f}",
                f"{result['p99']:.1f}",
                str(result["errors"]),
                f"{result['rps'] / first['rps']:.2f}x",
                f"{result['load']:.1f}",
            ]
        )
    cores = os.cpu_count()
    print_table(
        f"API under load: {args.rows:,} samples on PostgreSQL, {args.connections} keep-alive "
        f"connections from a separate client process, {args.duration:.0f} s after "
        f"{args.warmup:.0f} s warm-up; {cores} cores shared by the API, PostgreSQL and the "
        "load client (ms)",
        [
            "API processes",
            "requests",
            "rps",
            "p50",
            "p95",
            "p99",
            "errors",
            "rps vs 1",
            "load avg before",
        ],
        rows,
    )
    kinds = sorted({kind for result in results.values() for kind in result["kinds"]})
    print_table(
        "The same runs per request kind: p50 / p99 ms",
        ["kind", *(f"{n} process{'es' if n > 1 else ''}" for n in results)],
        [
            [
                kind,
                *(
                    f"{r['kinds'][kind]['p50']:.1f} / {r['kinds'][kind]['p99']:.1f}"
                    if kind in r["kinds"]
                    else "-"
                    for r in results.values()
                ),
            ]
            for kind in kinds
        ],
    )


if __name__ == "__main__":
    raise SystemExit(main())
