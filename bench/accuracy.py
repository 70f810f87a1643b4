"""Tempo and key accuracy of cratedig.media.analysis on the labelled synthetic set."""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.dataset import DEFAULT_COUNT, DEFAULT_OUT, SEED, Label, ensure_dataset
from cratedig.media.analysis import analyze_pcm
from cratedig.media.decode import decode_pcm

NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
TOLERANCE = 0.04


@dataclass
class Result:
    """One clip's estimate next to its label."""

    label: Label
    bpm: float | None
    key: str | None
    scale: str | None
    seconds: float


def tempo_ok(truth: float, est: float | None, factors: tuple[float, ...] = (1.0,)) -> bool:
    """True when `est` is within 4% of truth times one of `factors`."""
    return est is not None and any(abs(est / (truth * f) - 1) <= TOLERANCE for f in factors)


ACC2_FACTORS = (1.0, 2.0, 0.5, 3.0, 1 / 3)


def mirex(truth_key: str, truth_scale: str, key: str | None, scale: str | None) -> float:
    """MIREX key score: exact 1, fifth 0.5, relative 0.3, parallel 0.2, else 0."""
    if key is None or scale is None:
        return 0.0
    t, e = NAMES.index(truth_key), NAMES.index(key)
    up = (e - t) % 12
    if scale == truth_scale:
        return 1.0 if up == 0 else 0.5 if up in (5, 7) else 0.0
    if e == t:
        return 0.2
    relative = 9 if truth_scale == "major" else 3
    return 0.3 if up == relative else 0.0


def summarize(name: str, results: list[Result]) -> None:
    """Print the headline metrics for one detector."""
    n = len(results)
    acc1 = sum(tempo_ok(r.label.bpm, r.bpm) for r in results) / n
    acc2 = sum(tempo_ok(r.label.bpm, r.bpm, ACC2_FACTORS) for r in results) / n
    exact = sum(r.key == r.label.key and r.scale == r.label.scale for r in results) / n
    score = sum(mirex(r.label.key, r.label.scale, r.key, r.scale) for r in results) / n
    median = statistics.median(r.seconds for r in results)
    print(f"\n== {name}: {n} clips")
    print(f"  tempo Acc1 (±4%)          {100 * acc1:6.1f} %")
    print(f"  tempo Acc2 (+×2 ½ 3 ⅓)    {100 * acc2:6.1f} %")
    print(f"  key exact                 {100 * exact:6.1f} %")
    print(f"  key MIREX score           {100 * score:6.1f}")
    print(f"  median analysis s/clip    {median:8.3f}")


def breakdown(results: list[Result]) -> None:
    """Per-style figures and a list of every miss."""
    by_style: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_style[r.label.style].append(r)
    print(f"\n  {'style':8s} {'n':>3s} {'Acc1':>6s} {'Acc2':>6s} {'exact':>6s} {'MIREX':>6s}")
    for style, rs in sorted(by_style.items()):
        n = len(rs)
        a1 = 100 * sum(tempo_ok(r.label.bpm, r.bpm) for r in rs) / n
        a2 = 100 * sum(tempo_ok(r.label.bpm, r.bpm, ACC2_FACTORS) for r in rs) / n
        ex = 100 * sum(r.key == r.label.key and r.scale == r.label.scale for r in rs) / n
        mx = 100 * sum(mirex(r.label.key, r.label.scale, r.key, r.scale) for r in rs) / n
        print(f"  {style:8s} {n:3d} {a1:6.1f} {a2:6.1f} {ex:6.1f} {mx:6.1f}")
    print("\n  misses:")
    for r in results:
        lab = r.label
        if not tempo_ok(lab.bpm, r.bpm):
            print(f"    tempo {lab.file:20s} truth {lab.bpm:6.1f}  got {r.bpm}")
        if (r.key, r.scale) != (lab.key, lab.scale):
            got = f"{r.key} {r.scale}"
            print(f"    key   {lab.file:20s} truth {lab.key} {lab.scale:5s}  got {got}")


Detector = Callable[[np.ndarray, int], tuple[float | None, str | None, str | None]]


def run(labels: list[Label], root: Path, detect: Detector) -> list[Result]:
    """Decode each clip at 48 kHz stereo and time only the detector."""
    results = []
    for lab in labels:
        pcm = decode_pcm(root / lab.file)
        started = time.perf_counter()
        bpm, key, scale = detect(pcm, 48000)
        results.append(Result(lab, bpm, key, scale, time.perf_counter() - started))
    return results


def cratedig_detect(
    pcm: np.ndarray, sample_rate: int
) -> tuple[float | None, str | None, str | None]:
    """Our detector, as the product calls it."""
    a = analyze_pcm(pcm, sample_rate)
    return a.bpm, a.key, a.scale


def main(argv: list[str] | None = None) -> int:
    """CLI: python -m bench.accuracy [--compare-librosa]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--compare-librosa", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="no per-style table or misses")
    args = parser.parse_args(argv)
    labels = ensure_dataset(args.out, args.count, args.seed)
    results = run(labels, args.out, cratedig_detect)
    summarize("cratedig (numpy)", results)
    if not args.quiet:
        breakdown(results)
    if args.compare_librosa:
        from bench.librosa_ref import beat_track_detect, feature_tempo_detect

        for name, detect in (
            ("librosa feature.tempo + chroma_stft/Krumhansl", feature_tempo_detect),
            ("librosa beat_track + chroma_cqt/Krumhansl", beat_track_detect),
        ):
            res = run(labels, args.out, detect)
            summarize(name, res)
            if not args.quiet:
                breakdown(res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
