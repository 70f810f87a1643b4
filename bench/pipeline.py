"""Pipeline throughput: N samples of 30 s video from a loopback server, local storage, SQLite,
the worker inside this process (the embedded default)."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench.table import print_table
from cratedig.models import SampleStatus
from cratedig.pipeline.queue import enqueue_sample, start_dbos, stop_dbos
from cratedig.runtime import Runtime, start_runtime, stop_runtime
from cratedig.samples.repository import SampleRepository
from tests.fixtures.http_server import Route, loopback_server
from tests.fixtures.media import make_clip
from tests.pipeline.conftest import add_url_sample, pipeline_settings

ORIGINAL_SECONDS = "30–60"  # the replaced system's documented time per sample


def main(argv: list[str] | None = None) -> int:
    """Print samples per minute and the median seconds per sample."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cratedig-bench-") as tmp:
        root = Path(tmp)
        video = make_clip(root / "clip.mp4", 30.0, video=True).read_bytes()
        settings = pipeline_settings(
            root, f"sqlite:///{root / 'app.db'}", f"sqlite:///{root / 'dbos.db'}"
        )
        settings.worker_concurrency = args.concurrency
        runtime = start_runtime(settings)
        start_dbos(settings, worker=True)
        try:
            with loopback_server(
                {"/clip.mp4": Route(body=video, headers={"Content-Type": "video/mp4"})}
            ) as server:
                ids = [
                    add_url_sample(runtime, f"{server.base}/clip.mp4?n={n}")
                    for n in range(args.samples)
                ]
                started = time.perf_counter()
                for sample_id in ids:
                    enqueue_sample(sample_id, 0)
                durations = _wait(runtime, ids)
                wall = time.perf_counter() - started
        finally:
            stop_dbos()
            stop_runtime()
    median = statistics.median(durations)
    print_table(
        f"Pipeline: {args.samples} samples of 30 s video, loopback source, local storage, "
        f"SQLite, worker concurrency {args.concurrency}",
        ["measure", "value", "target"],
        [
            ["samples per minute", f"{args.samples / wall * 60:.1f}", ""],
            ["median seconds per sample (first step to publish)", f"{median:.2f}", "≤ 3"],
            ["wall seconds for the batch", f"{wall:.1f}", ""],
            ["replaced system, seconds per sample", ORIGINAL_SECONDS, ""],
        ],
    )
    return 0


def _wait(runtime: Runtime, ids: list[uuid.UUID]) -> list[float]:
    """Poll until every sample finished; seconds from first step start to publish, each."""
    while True:
        with runtime.transaction() as session:
            repo = SampleRepository(session)
            samples = [repo.get(i) for i in ids]
            if all(
                s is not None and s.status in (SampleStatus.COMPLETED, SampleStatus.FAILED)
                for s in samples
            ):
                failed = [
                    f"{s.step}: {s.error_message}"
                    for s in samples
                    if s and s.status is SampleStatus.FAILED
                ]
                if failed:
                    raise SystemExit(f"{len(failed)} samples failed: {failed[:3]}")
                return [_seconds(repo, i) for i in ids]
        time.sleep(0.2)


def _seconds(repo: SampleRepository, sample_id: uuid.UUID) -> float:
    steps = repo.steps_for(sample_id, 0)
    first = min(s.started_at for s in steps if s.started_at)
    last = max(s.finished_at for s in steps if s.finished_at)
    return (last - first).total_seconds()


if __name__ == "__main__":
    raise SystemExit(main())
