"""Training sets: made like the development sets' tune parts but from other pieces and seeds.

The models train on these plus the development sets' tune parts; the held-back (report)
parts are never read by training. Nothing here reads a reserved source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.evaluation import set_generated, set_music21
from bench.evaluation.clips import Clip, ensure_set

TRAINING_ROOT = Path(".cache/training")
GENERATED_SEED = 7_300_001  # not the development set's seed: other tempi, keys, notes
GENERATED_COUNT = 120
# Corpus folders with far more pieces than the development set takes (it caps them).
EXTRA_FOLDERS = {"palestrina": 70, "ryansMammoth": 90, "trecento": 30}
VERSION = 1


def music21_extra_plan() -> list[dict[str, Any]]:
    """Corpus pieces of the big folders that the development set does not take."""
    from music21 import corpus

    paths = [str(p) for p in corpus.getPaths()]
    taken = set(set_music21.choose(paths))
    fonts = [spec["soundfont"] for spec in set_music21.plan()[:3]]
    by_folder = {
        folder: [p for p in members if p not in taken]
        for folder, members in set_music21.allowed_by_folder(paths).items()
        if folder in EXTRA_FOLDERS
    }
    chosen = []
    for folder, members in sorted(by_folder.items()):
        chosen += sorted(members, key=set_music21._hash)[: EXTRA_FOLDERS[folder]]
    fonts = sorted({*fonts, *set_music21.SOUNDFONT_NAMES})
    return [
        {
            "path": p,
            "id": "train-" + set_music21._clip_id(p),
            "soundfont": fonts[set_music21._hash(p) % len(fonts)],
        }
        for p in chosen
    ]


def generated_plan() -> list[dict[str, Any]]:
    """The widened generator with its own seed."""
    specs = set_generated.plan(GENERATED_COUNT, GENERATED_SEED)
    for spec in specs:
        spec["id"] = "train-" + spec["id"]
    return specs


def training_clips(root: Path = TRAINING_ROOT) -> dict[str, list[Clip]]:
    """Every training set's clips, rendered on first use."""
    return {
        "train-generated": ensure_set(
            "train-generated", VERSION, generated_plan(), set_generated.render, root
        ),
        "train-music21": ensure_set(
            "train-music21", VERSION, music21_extra_plan(), set_music21.render, root
        ),
    }
