"""Training sets: made like the development sets' tune parts but from other pieces and seeds.

The models train on these plus the development sets' tune parts; the held-back (report)
parts are never read by training. Nothing here reads a reserved source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.evaluation import set_debian, set_generated, set_music21
from bench.evaluation.clips import Clip, ensure_set
from bench.evaluation.split import TUNE, part_of

TRAINING_ROOT = Path(".cache/training")
GENERATED_SEED = 7_300_001  # not the development set's seed: other tempi, keys, notes
GENERATED_COUNT = 120
# A second generated set (its own seed) and every music21 piece training may read played at
# other tempi with other soundfonts: the metrical level must come from the music's structure,
# not from how fast the set's renders happen to be.
MORE_GENERATED_SEED = 7_300_002
MUSIC21_TEMPO_VARIANTS = 2
# Sets that play pieces already in training again (other tempi): new to the tempo scorer,
# nothing new to the key settings, which would only count those pieces' keys three times.
REPEATED_PIECES = frozenset({"train-music21-tempi"})
# Game music shipped in Debian that neither the development set c nor the reserved
# list takes: tracker modules (MOD, S3M, XM, IT) and two MIDI files, labelled like set c.
DEBIAN_PACKAGES = (
    "bugsquish",
    "ceferino-data",
    "criticalmass-data",
    "crimson",
    "freedroid-data",
    "liquidwar-data",
    "pachi-data",
    "pingus-data",
    "ri-li-data",
    "solarwolf",
    "tuxmath-data",
)
# Corpus folders with far more pieces than the development set takes (it caps them).
EXTRA_FOLDERS = {"palestrina": 70, "ryansMammoth": 90, "trecento": 30}
VERSION = 1
DEBIAN_VERSION = 2  # 2: silent renders and glitched module timings left out


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


def music21_tempo_variants() -> list[dict[str, Any]]:
    """The training pieces and the development set's tune-part pieces, each played at other
    tempi (a new render tempo, or a marked tempo scaled by 0.75-1.25) with other soundfonts."""
    tune = [s for s in set_music21.plan() if part_of(set_music21.NAME, s["id"]) == TUNE]
    fonts = sorted(set_music21.SOUNDFONT_NAMES)
    specs = []
    for base in music21_extra_plan() + tune:
        for variant in range(1, MUSIC21_TEMPO_VARIANTS + 1):
            mix = set_music21._hash(f"{base['path']}\0variant {variant}")
            specs.append(
                base
                | {
                    "id": f"tempo{variant}-{base['id']}",
                    "soundfont": fonts[(fonts.index(base["soundfont"]) + variant) % len(fonts)],
                    "beat_bpm": 50 + mix % 111,  # 50-160 beats a minute
                    "tempo_factor": 0.75 + (mix >> 8) % 51 / 100,
                }
            )
    return specs


def generated_plan(seed: int = GENERATED_SEED, prefix: str = "train-") -> list[dict[str, Any]]:
    """The widened generator with its own seed."""
    specs = set_generated.plan(GENERATED_COUNT, seed)
    for spec in specs:
        spec["id"] = prefix + spec["id"]
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
        "train-generated-2": ensure_set(
            "train-generated-2",
            VERSION,
            generated_plan(MORE_GENERATED_SEED, "train2-"),
            set_generated.render,
            root,
        ),
        "train-music21-tempi": ensure_set(
            "train-music21-tempi", VERSION, music21_tempo_variants(), set_music21.render, root
        ),
        "train-debian": ensure_set(
            "train-debian",
            DEBIAN_VERSION,
            set_debian.plan(DEBIAN_PACKAGES, root / "debian-packages", "tdeb-"),
            set_debian.render,
            root,
        ),
    }
