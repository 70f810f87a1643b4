"""python -m bench.training.score SOURCE…: the shipped analysis on one training source's clips.

A source the shipped weights never learned from (a new training set, before retraining) is
music of a new kind: its figures say how the estimators generalise. With --systems, the
reference systems (librosa, essentia) are scored on the same clips, uncached.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.evaluation.estimators import SYSTEMS, Estimate, essentia_available
from bench.evaluation.report import print_part
from bench.training.data import learnable_clips


def _estimates(path_and_systems: tuple[str, list[str]]) -> dict[str, Estimate]:
    path, systems = path_and_systems
    return {name: SYSTEMS[name](Path(path)) for name in systems}


def main(argv: list[str] | None = None) -> int:
    """Print the evaluation table for each named training source."""
    parser = argparse.ArgumentParser(prog="python -m bench.training.score", description=__doc__)
    parser.add_argument("sources", nargs="+", help="training source names, e.g. train-debian")
    parser.add_argument("--systems", nargs="*", choices=list(SYSTEMS), default=["cratedig"])
    args = parser.parse_args(argv)
    systems = [s for s in args.systems if s != "essentia" or essentia_available()]
    everything = learnable_clips()
    for source in args.sources:
        items = [i for i in everything if i.source == source]
        if not items:
            known = sorted({i.source for i in everything})
            parser.error(f"no clips from {source!r}; sources: {', '.join(known)}")
        with ProcessPoolExecutor(max_workers=2) as pool:
            got = list(pool.map(_estimates, [(str(i.path), systems) for i in items]))
        per_system: dict[str, list[Estimate] | None] = {
            name: [g[name] for g in got] for name in systems
        }
        print_part(f"{source} (training source)", [i.clip for i in items], per_system)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
