"""Speed of the toolkit on 30 s MP3 clips: analysis, full process-file, and the baseline."""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.baseline import run_baseline
from bench.dataset import DEFAULT_COUNT, DEFAULT_OUT, ensure_dataset
from bench.table import print_table
from cratedig.media.analysis import analyze_pcm
from cratedig.media.decode import decode_pcm
from cratedig.media.process import process_file


def _best_seconds(action: Callable[[], object], repeats: int = 1) -> float:
    """The fastest of `repeats` runs (the median is taken across clips, not here)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(clips: list[Path], baseline_clips: int) -> dict[str, float]:
    """Median seconds per clip for each way of processing it."""
    work = Path(tempfile.mkdtemp(prefix="cratedig-bench-"))
    try:
        warm = clips[0]
        process_file(warm, work / "warm")  # first call pays imports and page-cache misses
        run_baseline(warm, work / "warm-baseline")
        analysis, full, decode, baseline = [], [], [], []
        for index, clip in enumerate(clips):
            started = time.perf_counter()
            samples = decode_pcm(clip)
            decode.append(time.perf_counter() - started)
            analysis.append(_best_seconds(lambda s=samples: analyze_pcm(s, 48000), 3))
            out = work / f"out-{index}"
            full.append(_best_seconds(lambda c=clip, o=out: process_file(c, o)))
            if index < baseline_clips:
                target = work / f"baseline-{index}"
                baseline.append(_best_seconds(lambda c=clip, o=target: run_baseline(c, o)))
        return {
            "decode": statistics.median(decode),
            "analysis": statistics.median(analysis),
            "process_file": statistics.median(full),
            "process_file_same_clips": statistics.median(full[:baseline_clips]),
            "baseline": statistics.median(baseline),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Print the speed table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=12, help="clips timed (default 12)")
    parser.add_argument(
        "--baseline-clips",
        type=int,
        default=4,
        help="clips also run through the slow baseline (default 4)",
    )
    args = parser.parse_args(argv)
    labels = ensure_dataset(DEFAULT_OUT, DEFAULT_COUNT)
    clips = [DEFAULT_OUT / label.file for label in labels[: args.clips]]
    figures = measure(clips, min(args.baseline_clips, len(clips)))
    ratio = figures["baseline"] / figures["process_file_same_clips"]
    print_table(
        f"Speed per 30 s MP3 clip (median; {len(clips)} clips, baseline on "
        f"{min(args.baseline_clips, len(clips))})",
        ["measure", "seconds", "target", "ok"],
        [
            ["decode (ffmpeg → float PCM)", f"{figures['decode']:.3f}", "", ""],
            [
                "analysis alone (BPM + key)",
                f"{figures['analysis']:.3f}",
                "≤ 0.15",
                _ok(figures["analysis"] <= 0.15),
            ],
            [
                "process-file, full",
                f"{figures['process_file']:.3f}",
                "≤ 1.2",
                _ok(figures["process_file"] <= 1.2),
            ],
            ["baseline (separate calls + librosa)", f"{figures['baseline']:.3f}", "", ""],
            ["speed-up vs baseline (same clips)", f"{ratio:.1f}x", "≥ 5x", _ok(ratio >= 5)],
        ],
    )
    return 0


def _ok(passed: bool) -> str:
    return "yes" if passed else "NO"


if __name__ == "__main__":
    raise SystemExit(main())
