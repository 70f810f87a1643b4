"""python -m bench.training.beats: beat and downbeat F-measure on the learnable clips, per source.

Beats are tracked at the tempo cratedig estimates and at the labelled tempo (separating
tracking from tempo errors); the matched beats' signed offset (estimate minus label) shows a
systematic lateness, and each estimated beat's phase against the labelled grid sorts the
misses into on the beat, half a beat off, a third or quarter off, and elsewhere (drift).
`--by-meter` also breaks the figures down by the labelled beats per bar and shows how many
beats a bar were read (at the labelled tempo); `--voice DB` hears every clip with a synthetic
voice talking over it at DB against the music (the six voices in turn), `--room` in a
reverberant, loudly mastered room (the training rooms in turn). Never reads a
development set's held-back part.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from bench.evaluation import scores
from bench.table import print_table
from bench.training.data import SAMPLE_RATE, LabelledClip, learnable_clips
from bench.training.room import with_rooms
from bench.training.voice import heard_clip, with_voices
from cratedig.media.rhythm import analyze_rhythm
from cratedig.media.tempo import onset_envelopes, tempo_from_envelopes

# Phase classes of an estimated beat against the labelled grid (fractions of a beat).
PHASES = {"on": (0.0,), "half": (0.5,), "third": (1 / 3, 2 / 3), "quarter": (0.25, 0.75)}
PHASE_TOLERANCE = 0.07


@dataclass(frozen=True)
class Tracked:
    """One clip's figures at one tempo: beat and downbeat F, matched offsets, phase counts,
    and the beats per bar read."""

    beat_f: float
    downbeat_f: float | None
    offsets: list[float]
    phases: dict[str, int]
    beats_per_bar: int | None


def labelled_meter(beats: list[float], downbeats: list[float]) -> int | None:
    """The labelled beats per bar: the median count of beats from one downbeat to the next."""
    if len(downbeats) < 2:
        return None
    ref = np.asarray(beats)
    counts = [
        int(np.count_nonzero((ref >= start - 1e-3) & (ref < end - 1e-3)))
        for start, end in pairwise(downbeats)
    ]
    return int(np.median(counts))


def matched_offsets(reference: list[float], estimate: tuple[float, ...]) -> list[float]:
    """Signed seconds from each scored reference beat to the nearest estimate within the
    F-measure's window."""
    ref = np.asarray([t for t in reference if t >= scores.BEAT_SKIP_SECONDS])
    est = np.asarray(estimate)
    if ref.size == 0 or est.size == 0:
        return []
    nearest = est[np.abs(est[None, :] - ref[:, None]).argmin(axis=1)] - ref
    return [float(x) for x in nearest[np.abs(nearest) <= scores.BEAT_WINDOW]]


def phase_counts(reference: list[float], estimate: tuple[float, ...]) -> dict[str, int]:
    """How many scored estimated beats fall on, half, a third or a quarter of a beat off the
    labelled grid, or elsewhere."""
    ref = np.asarray(reference)
    est = np.asarray([t for t in estimate if t >= scores.BEAT_SKIP_SECONDS])
    counts = dict.fromkeys([*PHASES, "other"], 0)
    if ref.size < 2 or est.size == 0:
        return counts
    before = np.clip(np.searchsorted(ref, est) - 1, 0, ref.size - 2)
    phase = (est - ref[before]) / (ref[before + 1] - ref[before]) % 1.0
    for p in phase:
        name = next(
            (
                n
                for n, centres in PHASES.items()
                if any(min(abs(p - c), 1 - abs(p - c)) <= PHASE_TOLERANCE for c in centres)
            ),
            "other",
        )
        counts[name] += 1
    return counts


def track_clip(item: LabelledClip) -> dict[str, Tracked]:
    """The clip's figures at the estimated tempo ('estimated') and at the label ('labelled')."""
    mono = heard_clip(item)
    env = onset_envelopes(mono, SAMPLE_RATE)
    out = {}
    for name, bpm in (("estimated", tempo_from_envelopes(env).bpm), ("labelled", item.clip.bpm)):
        found = analyze_rhythm(mono, SAMPLE_RATE, env, bpm)
        downs = item.clip.downbeats
        out[name] = Tracked(
            scores.f_measure(item.clip.beats, found.beats),
            scores.f_measure(downs, found.downbeats) if downs else None,
            matched_offsets(item.clip.beats, found.beats),
            phase_counts(item.clip.beats, found.beats),
            found.beats_per_bar,
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Print per-source beat and downbeat F at both tempi, offsets and miss phases."""
    parser = argparse.ArgumentParser(prog="python -m bench.training.beats", description=__doc__)
    parser.add_argument("--sources", nargs="*", help="only these sources (default: all)")
    parser.add_argument(
        "--by-meter", action="store_true", help="also by labelled beats per bar (label tempo)"
    )
    parser.add_argument(
        "--voice", type=float, metavar="DB", help="a voice-over at DB against the music"
    )
    parser.add_argument(
        "--room", action="store_true", help="in a reverberant, loudly mastered training room"
    )
    args = parser.parse_args(argv)
    items = [i for i in learnable_clips() if i.clip.beats]
    if args.sources:
        items = [i for i in items if i.source in args.sources]
    if args.room:
        items = with_rooms(items)
    if args.voice is not None:
        items = with_voices(items, (args.voice,))
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(track_clip, items, chunksize=4))
    by_source: dict[str, list[dict[str, Tracked]]] = defaultdict(list)
    for item, result in zip(items, results, strict=True):
        by_source[item.source].append(result)
    rows = []
    for source, found in sorted(by_source.items()):
        est, lab = [f["estimated"] for f in found], [f["labelled"] for f in found]
        offsets = [o for t in lab for o in t.offsets]
        phases = {n: sum(t.phases[n] for t in lab) for n in lab[0].phases}
        total = max(1, sum(phases.values()))
        rows.append(
            [
                source,
                str(len(found)),
                f"{np.mean([t.beat_f for t in est]):.3f}",
                f"{np.mean([t.beat_f for t in lab]):.3f}",
                _mean_known([t.downbeat_f for t in est]),
                _mean_known([t.downbeat_f for t in lab]),
                f"{1000 * np.median(offsets):+.1f}" if offsets else "–",
                " ".join(f"{n} {100 * c / total:.0f}%" for n, c in phases.items()),
            ]
        )
    header = ["source", "clips", "beat F", "beat F, label tempo", "downbeat F"]
    header += ["downbeat F, label tempo", "median offset ms", "beat phases (label tempo)"]
    print_table("Beats on the learnable clips", header, rows)
    if args.by_meter:
        print_meter_table(items, results)
    return 0


def print_meter_table(items: list[LabelledClip], results: list[dict[str, Tracked]]) -> None:
    """Beat and downbeat F at the labelled tempo per (source, labelled beats per bar), and the
    beats per bar read."""
    groups: dict[tuple[str, int], list[Tracked]] = defaultdict(list)
    for item, result in zip(items, results, strict=True):
        meter = labelled_meter(item.clip.beats, item.clip.downbeats)
        if meter is not None:
            groups[(item.source, meter)].append(result["labelled"])
    rows = []
    for (source, meter), found in sorted(groups.items()):
        read = defaultdict(int)
        for t in found:
            read[t.beats_per_bar] += 1
        rows.append(
            [
                source,
                str(meter),
                str(len(found)),
                f"{np.mean([t.beat_f for t in found]):.3f}",
                _mean_known([t.downbeat_f for t in found]),
                " ".join(f"{k}: {v}" for k, v in sorted(read.items(), key=lambda kv: str(kv[0]))),
            ]
        )
    header = ["source", "labelled beats a bar", "clips", "beat F", "downbeat F", "read as"]
    print_table("By labelled meter, at the labelled tempo", header, rows)


def _mean_known(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{np.mean(known):.3f}" if known else "–"


if __name__ == "__main__":
    raise SystemExit(main())
