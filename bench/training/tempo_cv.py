"""python -m bench.training.tempo_cv: k-fold cross-validated tempo accuracy per training source.

Every learnable clip is predicted by a model fitted without its fold (folds by piece, so one
piece's excerpts never sit on both sides); the figures say how the scorer generalises before
the held-back parts are looked at. The layout and L2 of the shipped model are chosen here.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from bench.table import print_table
from bench.training.data import fold_of
from bench.training.tempo import (
    L2,
    SEED,
    UNITS,
    clip_features,
    fit,
    right_answers,
    training_items,
)
from cratedig.media import tempo_model

FOLDS = 5
ACC2_RATIOS = (1.0, 2.0, 0.5, 3.0, 1 / 3)


def cross_validate(
    l2: float,
    units: int,
    seeds: int = 1,
    folds: int = FOLDS,
    leave_out: str | None = None,
    misses: list[tuple[str, str, float, float]] | None = None,
    voiced_training: bool = True,
    room_training: bool = True,
    exclude: frozenset[str] = frozenset(),
) -> dict[str, list[tuple[bool, bool]]]:
    """(Acc1, Acc2) hits of every learnable clip's out-of-fold prediction, by source, as is,
    with a voice-over ("SOURCE +voice") and in a room ("SOURCE +room"); the copies fold with
    their clip and are learned from too (as the shipped scorer learns) unless
    `voiced_training` or `room_training` is off.

    With `leave_out`, that source's clips are the only fold: the model learns from every other
    source and is scored on music of a kind it never heard (a stronger test than k folds).
    The sources in `exclude` are left out altogether (what a source adds to the others).
    """
    items = [i for i in training_items() if i.source not in exclude]
    with ProcessPoolExecutor(max_workers=2) as pool:
        features = list(pool.map(clip_features, items))
    labels = [right_answers(i.clip.bpm) for i in items]
    # A piece's renders at other tempi fold with it: otherwise CV would test on trained pieces.
    pieces = [i.clip.meta.get("score") or f"{i.source}\0{i.clip.group}" for i in items]
    fold = [fold_of(piece, folds) for piece in pieces]
    if leave_out is not None:
        fold = [0 if i.source == leave_out else 1 for i in items]
        folds = 1
    hits: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for k in range(folds):
        train = [
            n
            for n in range(len(items))
            if fold[n] != k
            and labels[n].any()
            and (voiced_training or items[n].voice < 0)
            and (room_training or items[n].room < 0)
        ]
        train_x, train_y = [features[n] for n in train], [labels[n] for n in train]
        models = [fit(train_x, train_y, l2, units, SEED + s) for s in range(seeds)]
        for n in (n for n in range(len(items)) if fold[n] == k):
            score = sum(m.scores(features[n]) for m in models)
            bpm = float(tempo_model.GRID[int(np.argmax(score))])
            ratio = bpm / items[n].clip.bpm
            acc1 = abs(ratio - 1) <= 0.04
            acc2 = any(abs(ratio / r - 1) <= 0.04 for r in ACC2_RATIOS)
            hits[items[n].heard_as].append((acc1, acc2))
            if misses is not None and not acc1:
                misses.append((items[n].heard_as, items[n].clip.id, items[n].clip.bpm, bpm))
    return hits


def main(argv: list[str] | None = None) -> int:
    """Print out-of-fold Acc1/Acc2 per source for each L2 and layout asked for."""
    parser = argparse.ArgumentParser(prog="python -m bench.training.tempo_cv", description=__doc__)
    parser.add_argument("--l2", type=float, nargs="*", default=[L2])
    parser.add_argument("--units", type=int, nargs="*", default=[UNITS])
    parser.add_argument("--seeds", type=int, default=1, help="fits averaged per fold")
    parser.add_argument(
        "--leave-out", metavar="SOURCE", help="score only SOURCE, learning from all the others"
    )
    parser.add_argument(
        "--exclude",
        metavar="SOURCE",
        nargs="*",
        default=[],
        help="neither learn from nor score these sources (with their voiced and room copies)",
    )
    parser.add_argument("--misses", action="store_true", help="list out-of-fold Acc1 misses")
    parser.add_argument(
        "--clean-training",
        action="store_true",
        help="learn from the clips as they are only (the voiced copies are still scored)",
    )
    parser.add_argument(
        "--dry-training",
        action="store_true",
        help="learn from no clip in a room (the room copies are still scored)",
    )
    args = parser.parse_args(argv)
    rows = []
    misses: list[tuple[str, str, float, float]] = []
    for l2 in args.l2:
        for units in args.units:
            hits = cross_validate(
                l2,
                units,
                args.seeds,
                leave_out=args.leave_out,
                misses=misses,
                voiced_training=not args.clean_training,
                room_training=not args.dry_training,
                exclude=frozenset(args.exclude),
            )
            every = [h for values in hits.values() for h in values]
            for source, values in [*sorted(hits.items()), ("all", every)]:
                acc1 = 100 * np.mean([h[0] for h in values])
                acc2 = 100 * np.mean([h[1] for h in values])
                counts = [source, str(len(values)), f"{acc1:.1f}", f"{acc2:.1f}"]
                rows.append([f"{l2:g}", str(units), *counts])
    title = (
        f"Tempo scorer learning from every source but {args.leave_out} (argmax; %)"
        if args.leave_out
        else "Tempo scorer, 5-fold cross-validation by piece (out-of-fold argmax; %)"
    )
    for source, clip_id, label, bpm in sorted(misses) if args.misses else []:
        ratio = f"{bpm / label:.2f}x"
        print(f"  miss {source:20s} {clip_id:44s} label {label:7.2f} read {bpm:6.1f} ({ratio})")
    print_table(
        title,
        ["L2", "units", "source", "clips", "Acc1", "Acc2"],
        rows,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
