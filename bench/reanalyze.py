"""Re-analysis speed: N published samples of 30 s audio get their tempo and key analysed again
from their stored WAVs, one and then two samples at a time (SQLite, local storage).

Besides the wall clock it reports the process's CPU time per sample, and what two otherwise
idle cores sustain at that cost: the machine is often shared, and the CPU time is what a
re-analysis costs whatever else runs."""

from __future__ import annotations

import argparse
import os
import time

from bench.published import published_samples
from bench.table import print_table
from cratedig.operations.command import resume
from cratedig.operations.framework import get_kind
from cratedig.operations.kinds import reanalyze
from cratedig.operations.runner import start_operation
from cratedig.runtime import current_runtime

CLIP_SECONDS = 30.0
TARGET_PER_SECOND = 10.0  # issue 16: a library re-analysed in minutes


def main(argv: list[str] | None = None) -> int:
    """Print samples per second for each number of samples analysed at once."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, reanalyze.WORKERS])
    args = parser.parse_args(argv)
    rows = []
    with published_samples(args.samples, CLIP_SECONDS):
        get_kind("reanalyze")  # the kinds' imports are the command's start-up, not its pace
        for workers in dict.fromkeys(args.workers):
            seconds, cpu_seconds = time_reanalysis(workers)
            rows.append(_row(args.samples, workers, seconds, cpu_seconds))
    print_table(
        f"Re-analysis: {args.samples} samples of {CLIP_SECONDS:.0f} s audio, 24-bit WAV read "
        f"from storage → tempo, key, candidates → one update each; SQLite, local storage, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        [
            "samples",
            "at once",
            "total s",
            "samples/s",
            "CPU ms per sample",
            "2 idle cores: samples/s",
            "target",
        ],
        rows,
    )
    return 0


def time_reanalysis(workers: int) -> tuple[float, float]:
    """Wall and CPU seconds for one whole run (select, record, analyse every sample, finish)."""
    reanalyze.WORKERS = workers  # the kind reads it per run
    runtime = current_runtime()
    started, cpu_started = time.perf_counter(), time.process_time()
    run = start_operation(runtime, get_kind("reanalyze"), reanalyze.ReanalyzeRequest(), "bench")
    summary = resume(runtime, run.operation_id, out=lambda _line: None).summary
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    if summary.succeeded != summary.total:
        raise SystemExit(f"re-analysis failed for {summary.failed} of {summary.total} samples")
    return seconds, cpu_seconds


def _row(samples: int, workers: int, seconds: float, cpu_seconds: float) -> list[str]:
    cpu_per_sample = cpu_seconds / samples
    return [
        str(samples),
        str(workers),
        f"{seconds:.2f}",
        f"{samples / seconds:.1f}",
        f"{1000 * cpu_per_sample:.0f}",
        f"{2 / cpu_per_sample:.1f}",
        f"≥ {TARGET_PER_SECOND:.0f}/s",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
