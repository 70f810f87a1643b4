"""Pipeline scale-out: the same batch of short video clips (direct-media URLs on a loopback
server) processed by 1, 2 and 4 `cratedig worker` processes on PostgreSQL (a fresh database
per run), with local storage and then with the storage on a real S3 server (radosgw); throughput
against worker count, and an audit that every sample was processed exactly once."""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench.table import print_table
from bench.worker_fleet import Audit, audit, start_workers, stop_workers, wait_until_done
from cratedig.config import Settings
from cratedig.pipeline.queue import enqueue_sample, start_dbos, stop_dbos
from cratedig.runtime import start_runtime, stop_runtime
from tests.db.conftest import create_postgres_database, drop_postgres_database
from tests.fixtures.http_server import Route, loopback_server
from tests.fixtures.media import make_clip
from tests.fixtures.s3server import S3Server, running_s3_server
from tests.pipeline.conftest import add_url_sample, pipeline_settings


def settings_for(root: Path, database_url: str, s3: S3Server | None, concurrency: int) -> Settings:
    """One run's settings: its database, its storage, no pacing (the source is not TikTok)."""
    settings = pipeline_settings(root, database_url, database_url.replace("+psycopg", ""))
    settings.worker_concurrency = concurrency
    settings.fetch_rate_per_minute = 1_000_000
    if s3 is not None:
        settings.storage_url = f"s3://{s3.bucket}/scale-{uuid.uuid4().hex[:10]}"
        settings.s3_endpoint = s3.endpoint
        settings.s3_region = s3.region
        settings.s3_access_key_id = s3.access_key_id
        settings.s3_secret_access_key = s3.secret_access_key
    return settings


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment that makes `cratedig worker` use `settings`."""
    env = dict(os.environ) | {
        "CRATEDIG_DATABASE_URL": settings.database_url,
        "CRATEDIG_DBOS_SYSTEM_DATABASE_URL": settings.system_database_url,
        "CRATEDIG_STORAGE_URL": settings.storage_url,
        "CRATEDIG_ALLOWED_SOURCE_HOSTS": settings.allowed_source_hosts,
        "CRATEDIG_DATA_DIR": str(settings.data_dir),
        "CRATEDIG_WORKER_CONCURRENCY": str(settings.worker_concurrency),
        "CRATEDIG_FETCH_RATE_PER_MINUTE": str(settings.fetch_rate_per_minute),
    }
    if settings.s3_endpoint:
        env |= {
            "CRATEDIG_S3_ENDPOINT": settings.s3_endpoint,
            "CRATEDIG_S3_REGION": settings.s3_region,
            "CRATEDIG_S3_ACCESS_KEY_ID": settings.s3_access_key_id or "",
            "CRATEDIG_S3_SECRET_ACCESS_KEY": settings.s3_secret_access_key or "",
        }
    return env


def run_batch(
    root: Path, media_base: str, samples: int, workers: int, concurrency: int, s3: S3Server | None
) -> tuple[float, Audit]:
    """Submit `samples`, process them with `workers` processes; wall seconds and the audit."""
    pg = create_postgres_database("cratedig_scale")
    run_dir = Path(tempfile.mkdtemp(prefix=f"run-{workers}-", dir=root))
    settings = settings_for(run_dir, pg.render_as_string(hide_password=False), s3, concurrency)
    runtime = start_runtime(settings)
    start_dbos(settings, worker=False)  # this process is the API side: it only enqueues
    fleet = []
    try:
        ids = [add_url_sample(runtime, f"{media_base}/clip.mp4?n={n}") for n in range(samples)]
        fleet = start_workers(worker_env(settings), workers, run_dir)
        started = time.perf_counter()
        for sample_id in ids:
            enqueue_sample(sample_id, 0)
        wait_until_done(runtime, ids)
        wall = time.perf_counter() - started
        stop_workers(fleet)
        return wall, audit(runtime, ids)
    finally:
        stop_workers(fleet)
        stop_dbos()
        stop_runtime()
        drop_postgres_database(pg)


@contextlib.contextmanager
def storage_servers(with_s3: bool) -> Iterator[list[tuple[str, S3Server | None]]]:
    """("local", None) and, when asked, ("S3 (radosgw)", a running server)."""
    if not with_s3:
        yield [("local", None)]
        return
    with running_s3_server() as server:
        yield [("local", None), ("S3 (radosgw)", server)]


def main(argv: list[str] | None = None) -> int:
    """Print wall time, samples/minute and the exactly-once audit per storage and worker count."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--workers", default="1,2,4", help="worker process counts")
    parser.add_argument("--concurrency", type=int, default=1, help="pipelines per worker")
    parser.add_argument("--clip-seconds", type=float, default=6.0)
    parser.add_argument("--no-s3", action="store_true", help="local storage only")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="cratedig-bench-") as tmp:
        root = Path(tmp)
        clip = make_clip(root / "clip.mp4", args.clip_seconds, video=True).read_bytes()
        routes = {"/clip.mp4": Route(body=clip, headers={"Content-Type": "video/mp4"})}
        with loopback_server(routes) as media, storage_servers(not args.no_s3) as storages:
            for storage_name, s3 in storages:
                first_wall = None
                for workers in counts:
                    print(f"{storage_name}: {workers} worker(s) …", flush=True)
                    load = os.getloadavg()[0]
                    wall, found = run_batch(
                        root, media.base, args.samples, workers, args.concurrency, s3
                    )
                    first_wall = first_wall or wall
                    row = _row(storage_name, workers, wall, first_wall, found, args.samples)
                    rows.append([*row, f"{load:.1f}"])
    print_table(
        f"Pipeline scale-out: {args.samples} samples ({args.clip_seconds:.0f} s video clips from "
        f"a loopback server), PostgreSQL, {args.concurrency} pipeline(s) per worker process, "
        f"{os.cpu_count()} cores shared by the workers, PostgreSQL and radosgw",
        [
            "storage",
            "workers",
            "wall s",
            "samples/min",
            "vs 1",
            "median s/sample",
            "completed",
            "step attempts",
            "DBOS workflows",
            "objects/sample",
            "staging left",
            "samples per worker",
            "load avg before",
        ],
        rows,
    )
    return 0


def _row(
    storage: str, workers: int, wall: float, first_wall: float, found: Audit, samples: int
) -> list[str]:
    attempts = ", ".join(f"{n}: {count}" for n, count in sorted(found.step_attempts.items()))
    if set(found.step_attempts) == {1}:
        attempts = f"all 1 ({found.step_attempts[1]} steps)"
    objects = ", ".join(f"{n} ({count})" for n, count in sorted(found.objects_per_sample.items()))
    recorded = f"{found.workflows}" + (
        f" ({found.steps_recorded_twice} steps twice)" if found.steps_recorded_twice else ""
    )
    return [
        storage,
        str(workers),
        f"{wall:.1f}",
        f"{samples / wall * 60:.1f}",
        f"{first_wall / wall:.2f}x",
        f"{statistics.median(found.seconds_per_sample):.2f}",
        f"{found.completed}/{samples}",
        attempts,
        recorded,
        objects,
        str(found.staging_left),
        " ".join(str(n) for _, n in sorted(found.per_worker.items())),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
