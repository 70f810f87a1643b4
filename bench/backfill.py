"""HLS backfill speed: N published samples of 30 s audio lose their HLS, then the backfill
rebuilds it from their MP3s with batch sizes 1 and 2 (SQLite, local storage)."""

from __future__ import annotations

import argparse
import time
import uuid

from sqlalchemy import update

from bench.published import published_samples
from bench.table import print_table
from cratedig.models import Sample
from cratedig.operations.command import resume
from cratedig.operations.framework import get_kind
from cratedig.operations.kinds.backfill_hls import BackfillRequest
from cratedig.operations.runner import start_operation
from cratedig.runtime import Runtime, current_runtime
from cratedig.storage.keys import hls_prefix

CLIP_SECONDS = 30.0
REFERENCE_SECONDS = (10.0, 15.0)  # the replaced system's documented time per sample


def main(argv: list[str] | None = None) -> int:
    """Print total and per-sample seconds for each batch size, against the reference."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    rows = []
    with published_samples(args.samples, CLIP_SECONDS) as (runtime, ids):
        for batch_size in args.batch_sizes:
            remove_hls(runtime, ids)
            seconds = time_backfill(batch_size)
            rows.append(_row(len(ids), batch_size, seconds))
    print_table(
        f"HLS backfill: {args.samples} samples of {CLIP_SECONDS:.0f} s audio, MP3 → HLS "
        "(AAC 320 kbps, 2 s segments), SQLite, local storage",
        ["samples", "batch size", "total s", "s per sample", "target", "vs reference 10–15 s"],
        rows,
    )
    return 0


def remove_hls(runtime: Runtime, ids: list[uuid.UUID]) -> None:
    """Make the samples MP3-only again, as older samples were."""
    for sample_id in ids:
        runtime.storage.delete_prefix(hls_prefix(sample_id))
    with runtime.transaction() as session:
        session.execute(
            update(Sample).where(Sample.id.in_(ids)).values(hls_key=None, hls_bytes=None)
        )


def time_backfill(batch_size: int) -> float:
    """Seconds for one whole run (select, record, process every sample, finish)."""
    request = BackfillRequest(batch_size=batch_size)
    started = time.perf_counter()
    runtime = current_runtime()
    started_run = start_operation(runtime, get_kind("backfill_hls"), request, origin="bench")
    summary = resume(runtime, started_run.operation_id, out=lambda _line: None).summary
    seconds = time.perf_counter() - started
    if summary.succeeded != summary.total:
        raise SystemExit(f"backfill failed for {summary.failed} of {summary.total} samples")
    return seconds


def _row(samples: int, batch_size: int, seconds: float) -> list[str]:
    per_sample = seconds / samples
    low, high = (reference / per_sample for reference in REFERENCE_SECONDS)
    return [
        str(samples),
        str(batch_size),
        f"{seconds:.2f}",
        f"{per_sample:.2f}",
        "≤ 1",
        f"{low:.0f}–{high:.0f}× faster",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
