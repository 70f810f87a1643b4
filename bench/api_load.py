"""The API under load against a base commit: 100k samples on PostgreSQL, `cratedig serve` of
the base commit (checked out in a temporary git worktree) and of this tree, one process each
(this tree also with two), driven from a separate closed-loop client process on loopback
(bench/load_client.py) with a mix of listings (filters, search, sorts, cursor pages), sample
details and sample statuses; then one client alone, per request kind, for both versions."""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL

from bench.api_list import queries
from bench.cli_startup import ROOT, base_checkout
from bench.seed import seed_library
from bench.table import print_table
from cratedig.db import downgrade, make_engine
from cratedig.models import Sample
from tests.db.conftest import ADMIN_URL
from tests.fixtures.http_server import free_port

DATABASE = "cratedig_bench_load"  # kept between runs: seeding 100k rows takes a while
CRATEDIG = [sys.executable, "-m", "cratedig.cli"]
Result = dict[str, Any]  # what bench/load_client.py prints
# The API as issue 14 measured it (127 rps): the parent of the commit that made `serve` bind
# its own socket, which lost TCP_NODELAY and added ~40 ms to every keep-alive answer until
# the browsing work fixed it; comparing with that slower state would flatter this tree.
ISSUE_BASE = "2399423"
# The issue's targets for one client alone: p50 ms per request kind.
ONE_CLIENT_TARGETS = {"detail": 1.5, "status": 1.5, "listing": 4.0}
RPS_TARGET = 3.0  # times the base commit's requests per second, one process each
# Packages this work added that uvicorn picks up by itself when installed: the base commit
# runs without them, as it was installed.
ADDED_SPEEDUPS = ("httptools", "uvloop")


def library_url(rows: int, database: str = DATABASE) -> URL:
    """The benchmark database with exactly `rows` samples, migrated; seeded only when needed."""
    url = ADMIN_URL.set(database=database)
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
            ).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
    finally:
        admin.dispose()
    _migrate(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(select(func.count()).select_from(Sample)).scalar_one()
        if count != rows:
            print(f"seeding {rows:,} samples into {database} (once) …", flush=True)
            with engine.begin() as connection:
                connection.exec_driver_sql("TRUNCATE samples, creators CASCADE")
            seed_library(engine, rows)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        else:
            print(f"reusing {database} with {rows:,} samples", flush=True)
    finally:
        engine.dispose()
    return url


def schema_copy(url: URL, base_src: Path) -> URL:
    """A copy of the library at `url`, downgraded to the newest migration `base_src` knows, so
    an older commit serves the same rows without meeting tables it never had."""
    head = ScriptDirectory(str(base_src / "cratedig" / "migrations")).get_current_head()
    copy = url.set(database=f"{url.database}_base")
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{copy.database}"')
            connection.exec_driver_sql(
                f'CREATE DATABASE "{copy.database}" TEMPLATE "{url.database}"'
            )
    finally:
        admin.dispose()
    if head is not None:
        downgrade(copy, head)
    return copy


def _migrate(url: URL) -> None:
    """`cratedig migrate`, the deploy step: app tables and DBOS tables."""
    env = dict(os.environ) | {"CRATEDIG_DATABASE_URL": url.render_as_string(hide_password=False)}
    subprocess.run([*CRATEDIG, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)


def request_plan(url: URL, base: str, size: int = 4000, seed: int = 11) -> list[list[str]]:
    """[kind, path] pairs: 45 % listings (a sixth unfiltered), 10 % next pages, 25 % details,
    20 % statuses."""
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
        (
            "filtered listing" if params else "listing",
            "/api/v1/samples?" + urlencode(params | {"limit": "24"}),
        )
        for params in queries(600, seed)
    ]
    # Next pages need cursors the API made: ask it once for the first pages.
    pages = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for _, path in listings[:200]:
            cursor = client.get(path).raise_for_status().json()["next_cursor"]
            if cursor:
                pages.append(f"{path}&{urlencode({'cursor': cursor})}")
    plan = []
    for _ in range(size):
        roll = rng.random()
        if roll < 0.45:
            plan.append(list(rng.choice(listings)))
        elif roll < 0.55:
            plan.append(["next page", rng.choice(pages)])
        elif roll < 0.80:
            plan.append(["detail", f"/api/v1/samples/{rng.choice(ids)}"])
        else:
            plan.append(["status", f"/api/v1/samples/{rng.choice(ids)}/status"])
    return plan


def serve(url: URL, processes: int, port: int, root: Path, path: str) -> subprocess.Popen[bytes]:
    """`cratedig serve --workers N` of the code on `path` (PYTHONPATH), as deployed: API only,
    pipelines left to workers."""
    env = dict(os.environ) | {
        "PYTHONPATH": path,
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


@dataclass
class Run:
    """One version of the API at one process count: the crowd, then one client alone."""

    version: str
    processes: int
    crowd: Result
    alone: Result | None


def measure_version(
    version: str, path: str, url: URL, args: argparse.Namespace, root: Path, plan_file: Path
) -> list[Run]:
    """Serve the code on `path` at each process count; the crowd's and one client's figures."""
    runs = []
    for processes in [int(n) for n in args.processes.split(",")]:
        port = free_port()  # never a fixed port: other services may hold it
        server = serve(url, processes, port, root, path)
        try:
            base = f"http://127.0.0.1:{port}"
            if not plan_file.exists():
                plan_file.write_text(json.dumps(request_plan(url, base)))
            load = os.getloadavg()[0]
            crowd = drive(base, plan_file, args.connections, args.warmup, args.duration)
            alone = None
            if processes == 1:  # one client gains nothing from a second process
                alone = drive(base, plan_file, 1, 1.0, args.alone_duration)
            runs.append(Run(version, processes, crowd | {"load": load}, alone))
        finally:
            server.terminate()
            server.wait(timeout=60)
    return runs


def main(argv: list[str] | None = None) -> int:
    """Print rps and percentiles of the base commit and this tree, their ratio, and one
    client's p50 per request kind against the targets."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--alone-duration", type=float, default=8.0, help="one client, s")
    parser.add_argument("--processes", default="1,2", help="API process counts to compare")
    parser.add_argument("--base", help="commit to compare with (default: before this work)")
    parser.add_argument("--no-base", action="store_true", help="measure this tree only")
    parser.add_argument("--database", default=DATABASE, help="PostgreSQL database to seed")
    args = parser.parse_args(argv)
    url = library_url(args.rows, args.database)
    runs: list[Run] = []
    base = args.base or ISSUE_BASE
    with tempfile.TemporaryDirectory(prefix="cratedig-bench-") as tmp:
        root = Path(tmp)
        plan_file = root / "plan.json"
        if not args.no_base:
            with base_checkout(base) as base_src:
                one = argparse.Namespace(**(vars(args) | {"processes": "1"}))
                path = f"{_hidden(root, ADDED_SPEEDUPS)}{os.pathsep}{base_src}"
                base_url = schema_copy(url, base_src)
                runs += measure_version(
                    f"base {_short(base)}", path, base_url, one, root, plan_file
                )
        runs += measure_version("this tree", str(ROOT / "src"), url, args, root, plan_file)
    _print(runs, args)
    return 0


def _hidden(root: Path, packages: tuple[str, ...]) -> Path:
    """A folder that, first on PYTHONPATH, makes these packages fail to import."""
    folder = root / "hidden-packages"
    folder.mkdir(exist_ok=True)
    for name in packages:
        (folder / f"{name}.py").write_text(f"raise ImportError('{name}: not used by the base')\n")
    return folder


def _short(rev: str) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _print(runs: list[Run], args: argparse.Namespace) -> None:
    first = runs[0].crowd
    rows = [
        [
            run.version,
            str(run.processes),
            f"{run.crowd['requests'] + run.crowd['errors']:,}",
            f"{run.crowd['rps']:.0f}",
            f"{run.crowd['p50']:.1f}",
            f"{run.crowd['p95']:.1f}",
            f"{run.crowd['p99']:.1f}",
            str(run.crowd["errors"]),
            f"{run.crowd['rps'] / first['rps']:.2f}x",
            f"{run.crowd['load']:.1f}",
        ]
        for run in runs
    ]
    print_table(
        f"API under load: {args.rows:,} samples on PostgreSQL, {args.connections} keep-alive "
        f"connections from a separate client process, {args.duration:.0f} s after "
        f"{args.warmup:.0f} s warm-up; {os.cpu_count()} cores shared by the API, PostgreSQL "
        f"and the load client (ms; target: this tree ≥ {RPS_TARGET:.0f}x the base, 1 process)",
        [
            "version",
            "API processes",
            "requests",
            "rps",
            "p50",
            "p95",
            "p99",
            "errors",
            f"rps vs {runs[0].version}",
            "load avg before",
        ],
        rows,
    )
    kinds = sorted({kind for run in runs for kind in run.crowd["kinds"]})
    print_table(
        "The same runs per request kind: p50 / p99 ms",
        ["kind", *(f"{run.version}, {run.processes} proc." for run in runs)],
        [[kind, *(_p50_p99(run.crowd, kind) for run in runs)] for kind in kinds],
    )
    alone = [run for run in runs if run.alone is not None]
    print_table(
        f"One client alone (one keep-alive connection, {args.alone_duration:.0f} s, the same "
        "mix, 1 API process): p50 ms per request kind",
        ["kind", *(run.version for run in alone), "target", "ok"],
        [_alone_row(kind, alone) for kind in kinds],
    )


def _p50_p99(result: Result, kind: str) -> str:
    if kind not in result["kinds"]:
        return "-"
    figures = result["kinds"][kind]
    return f"{figures['p50']:.1f} / {figures['p99']:.1f}"


def _alone_row(kind: str, runs: list[Run]) -> list[str]:
    cells = []
    for run in runs:
        assert run.alone is not None
        figures = run.alone["kinds"].get(kind)
        cells.append(f"{figures['p50']:.2f}" if figures else "-")
    target = ONE_CLIENT_TARGETS.get(kind)
    mine = runs[-1].alone["kinds"].get(kind) if runs[-1].alone else None
    ok = "-" if target is None or mine is None else ("yes" if mine["p50"] <= target else "NO")
    return [kind, *cells, f"≤ {target}" if target else "-", ok]


if __name__ == "__main__":
    raise SystemExit(main())
