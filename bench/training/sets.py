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
# More game music found later (apt-file over Debian's main archive: every package shipping a
# tracker module or a MIDI file, less the reserved, set c's and the list above; a one-note
# preview, a commercial song's cover and packages of tens of MB left out).
MORE_DEBIAN_PACKAGES = (
    "ballz-data",
    "black-box",
    "cuyo-data",
    "dodgindiamond2",
    "fb-music-high",
    "flobopuyo",
    "gl-117-data",
    "gweled",
    "mma",
    "open-invaders-data",
    "pathogen",
    "pinball-table-hurd-data",
    "rafkill-data",
    "sdlbasic",
    "tuxtype-data",
    "vodovod",
    "vor",
    "yoshimi-data",
)
# Corpus folders with far more pieces than the development set takes (it caps them).
EXTRA_FOLDERS = {"palestrina": 70, "ryansMammoth": 90, "trecento": 30}
# More of the same folders, beyond what the development set and train-music21 take: about a
# third of a score survives the checks (a key the notes confirm, 20 s without a meter or
# tempo change), so the renders were the scarcest training data.
MORE_FOLDERS = {"palestrina": 260, "ryansMammoth": 160, "trecento": 53}
VERSION = 1
DEBIAN_VERSION = 2  # 2: silent renders and glitched module timings left out


def music21_extra_plan() -> list[dict[str, Any]]:
    """Corpus pieces of the big folders that the development set does not take."""
    return music21_pieces(_corpus_paths(), EXTRA_FOLDERS)


def music21_more_plan() -> list[dict[str, Any]]:
    """The next pieces of the same folders, after those train-music21 takes."""
    return music21_pieces(_corpus_paths(), MORE_FOLDERS, after=EXTRA_FOLDERS)


def _corpus_paths() -> list[str]:
    from music21 import corpus

    return [str(p) for p in corpus.getPaths()]


def music21_pieces(
    paths: list[str], counts: dict[str, int], after: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """Per folder, `counts` pieces that the development set does not take, in hash order
    after the first `after` of them, each with a soundfont of its own."""
    taken = set(set_music21.choose(paths))
    by_folder = {
        folder: [p for p in members if p not in taken]
        for folder, members in set_music21.allowed_by_folder(paths).items()
        if folder in counts
    }
    chosen = []
    for folder, members in sorted(by_folder.items()):
        first = (after or {}).get(folder, 0)
        chosen += sorted(members, key=set_music21._hash)[first : first + counts[folder]]
    fonts = sorted(set_music21.SOUNDFONT_NAMES)
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
        "train-debian": _debian_set("train-debian", DEBIAN_PACKAGES, "tdeb-", root),
    }


def later_training_clips(root: Path = TRAINING_ROOT) -> dict[str, list[Clip]]:
    """Training sets added after the first ones, rendered on first use. They are listed
    after every earlier clip: each clip's voice-over and room are taken in turn by its
    position, so an earlier clip keeps the copies (and cached features) it had."""
    return {
        "train-music21-more": ensure_set(
            "train-music21-more", VERSION, music21_more_plan(), set_music21.render, root
        ),
        "train-debian-2": _debian_set("train-debian-2", MORE_DEBIAN_PACKAGES, "tdeb2-", root),
    }


def _debian_set(name: str, packages: tuple[str, ...], prefix: str, root: Path) -> list[Clip]:
    """Excerpts of the packages' game music, labelled like set c; each set fetches its own
    packages into a folder of its own."""
    folder = "debian-packages" + name.removeprefix("train-debian")
    specs = set_debian.plan(packages, root / folder, prefix)
    return ensure_set(name, DEBIAN_VERSION, specs, set_debian.render, root)
