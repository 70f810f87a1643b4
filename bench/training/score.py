"""python -m bench.training.score SOURCE…: the shipped analysis on one training source's clips.

A source the shipped weights never learned from (a new training set, before retraining) is
music of a new kind: its figures say how the estimators generalise. With --systems, the
reference systems (librosa, essentia) are scored on the same clips (their answers cached in
the source's folder, as the evaluation does).
"""

from __future__ import annotations

import argparse

from bench.evaluation.estimators import SYSTEMS, Estimate, essentia_available
from bench.evaluation.report import print_part
from bench.evaluation.runner import estimate_set
from bench.training.data import learnable_clips


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
        # A source's clips lie in one folder, where the reference answers are cached too.
        got = estimate_set([i.clip for i in items], items[0].path.parent, systems)
        per_system: dict[str, list[Estimate] | None] = {name: got[name] for name in systems}
        print_part(f"{source} (training source)", [i.clip for i in items], per_system)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
