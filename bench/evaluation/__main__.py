"""python -m bench.evaluation: accuracy tables on the held-back part of each development set."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.evaluation.clips import CACHE_ROOT, Clip
from bench.evaluation.estimators import SYSTEMS, Estimate, essentia_available
from bench.evaluation.report import print_part
from bench.evaluation.runner import estimate_set
from bench.evaluation.sets import all_sets
from bench.evaluation.split import REPORT, TUNE, part_of
from bench.evaluation.voiced import room_copies, voiced_copies


def main(argv: list[str] | None = None) -> int:
    """Render the sets if needed, run the three systems, print report then tune tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.evaluation", description=__doc__)
    parser.add_argument("--cache", type=Path, default=CACHE_ROOT)
    parser.add_argument("--sets", nargs="*", help="set names (default: all)")
    parser.add_argument("--misses", action="store_true", help="list misses of the tune part")
    parser.add_argument(
        "--systems", nargs="*", choices=list(SYSTEMS), help="systems to run (default: all)"
    )
    parser.add_argument(
        "--voice",
        type=float,
        metavar="DB",
        help="mix a synthetic voice-over into every clip at DB against the music (e.g. -6)",
    )
    parser.add_argument(
        "--room",
        action="store_true",
        help="hear every clip in a reverberant, loudly mastered room (three rooms in turn)",
    )
    args = parser.parse_args(argv)
    systems = [s for s in SYSTEMS if s != "essentia" or essentia_available()]
    systems = [s for s in systems if not args.systems or s in args.systems]
    for dev in all_sets():
        if args.sets and dev.name not in args.sets:
            continue
        clips = dev.load(args.cache)
        set_dir = args.cache / dev.name
        title = dev.title
        # The music in a room first, then the voice on top, dry (as a voice-over is recorded).
        copies = args.cache
        if args.room:
            copies /= "room"
            set_dir = room_copies(clips, set_dir, copies)
            title += ", in a room"
        if args.voice is not None:
            copies /= f"voice{args.voice:+g}dB"
            set_dir = voiced_copies(clips, set_dir, copies, args.voice)
            title += f", voice-over at {args.voice:+g} dB"
        results = estimate_set(clips, set_dir, systems)
        for part in (REPORT, TUNE):
            idx = [i for i, c in enumerate(clips) if part_of(dev.name, c.group) == part]
            label = "held-back REPORT part" if part == REPORT else "tune part (not for claims)"
            per_system: dict[str, list[Estimate] | None] = {
                name: [results[name][i] for i in idx] if name in results else None
                for name in SYSTEMS
            }
            print_part(f"{title} — {label}", [clips[i] for i in idx], per_system)
            if args.misses and part == TUNE and "cratedig" in results:
                _print_misses([clips[i] for i in idx], [results["cratedig"][i] for i in idx])
    return 0


def _print_misses(clips: list[Clip], estimates: list[Estimate]) -> None:
    from bench.evaluation import scores

    for clip, est in zip(clips, estimates, strict=True):
        if not scores.acc1(clip.bpm, est.bpm):
            print(f"  tempo {clip.id:32s} truth {clip.bpm:7.2f}  cratedig {est.bpm}")
        if clip.key and not scores.key_exact((clip.key, clip.scale or ""), (est.key, est.scale)):
            truth, got = f"{clip.key} {clip.scale}", f"{est.key} {est.scale}"
            print(f"  key   {clip.id:32s} truth {truth}  cratedig {got}")


if __name__ == "__main__":
    raise SystemExit(main())
