"""Choose the key estimator's settings by cross-validation on the learnable clips.

The key estimator is hand-built (pitch-class profiles correlated with a harmonic-summed
chroma); what data decides is four settings: frame compression, harmonic decay, bass weight
and minor bias. Every clip is also scored with a synthetic voice talking over it (when
espeak-ng is installed), since short videos often have one, and in a reverberant, loudly
mastered room, as real recordings are. Prints the 5-fold estimate of
choosing by this grid (chosen on four folds, scored on the fifth), the shipped settings'
score on the same clips, and the settings the whole grid would choose now. Learned profiles
(a softmax over the 24 keys, anchored to Temperley's) lost on music21 clips in the same
cross-validation, so nothing learned is shipped; see README.
"""

from __future__ import annotations

import hashlib
import itertools
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.evaluation.scores import mirex
from bench.training.data import SAMPLE_RATE, LabelledClip, fold_of, learnable_clips
from bench.training.room import TRAINING_ROOMS, room_tag
from bench.training.sets import REPEATED_PIECES
from bench.training.voice import heard, voices
from cratedig.media import key

FEATURE_CACHE = Path(".cache/training/key-features")
# 2: peaks count towards a semitone only within 1/3 semitone (key.CLOSENESS_SLOPE).
FEATURE_VERSION = 2
GRID = {
    "compression": (1.0, 2.0, 3.0, 5.0, 10.0),
    "harmonic_decay": (0.0, 0.3, 0.4, 0.5, 0.6),
    "bass_weight": (0.25, 0.35, 0.5, 0.65),
    "minor_bias": (0.0, 0.02, 0.04, 0.06),
}
# Voice level relative to the music's RMS; None: no voice.
VOICE_GAINS_DB = (None, -6.0, 0.0)
FOLDS = 5
# The settings before harmonic summing (for comparison in the printout).
PREVIOUS = {"compression": 10.0, "harmonic_decay": 0.0, "bass_weight": 0.25, "minor_bias": 0.0}
NAMES = [(name, scale) for scale in ("major", "minor") for name in key.KEY_NAMES]


@dataclass(frozen=True)
class Job:
    """One clip under one listening condition."""

    path: Path
    voice: int  # index into voices(), -1 for none
    gain_db: float
    room: int = -1  # index into room.TRAINING_ROOMS, -1 for dry


def clip_energy(job: Job) -> tuple[np.ndarray, float]:
    """Per-frame pitch energy and tonality of a clip, with a voice mixed in if asked (cached)."""
    tag = f"{FEATURE_VERSION}\0{job.path}\0{job.voice}\0{job.gain_db}"
    tag += room_tag(job.room)
    cached = FEATURE_CACHE / f"{hashlib.sha256(tag.encode()).hexdigest()[:16]}.npz"
    if cached.exists():
        data = np.load(cached)
        return data["energy"].astype(np.float64), float(data["tonality"])
    energy, tonality = key.pitch_energy(
        heard(job.path, job.voice, job.gain_db, job.room), SAMPLE_RATE
    )
    FEATURE_CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cached, energy=energy.astype(np.float32), tonality=tonality)
    return energy, tonality


def family(source: str) -> str:
    """Generator-made clips and rendered scores are weighed equally in every figure."""
    return "generated" if "generated" in source else "scores"


def settings_grid() -> list[dict[str, float]]:
    """Every combination of the grid's settings."""
    return [dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]


def scores_table(
    energies: list[list[tuple[np.ndarray, float]]], truths: list[tuple[str, str]]
) -> tuple[list[dict[str, float]], np.ndarray]:
    """MIREX score of every setting (rows) for every condition and clip: (settings, cond, clip)."""
    grid = settings_grid()
    table = np.zeros((len(grid), len(energies), len(truths)))
    index = {tuple(s.values()): k for k, s in enumerate(grid)}
    for compression, decay in itertools.product(GRID["compression"], GRID["harmonic_decay"]):
        for c, condition in enumerate(energies):
            chromas = [key.chroma_from_energy(e, t, compression, decay) for e, t in condition]
            for bass, bias in itertools.product(GRID["bass_weight"], GRID["minor_bias"]):
                row = index[(compression, decay, bass, bias)]
                for i, (ch, truth) in enumerate(zip(chromas, truths, strict=True)):
                    best = int(np.argmax(key.key_scores(ch, bass_weight=bass, minor_bias=bias)))
                    table[row, c, i] = mirex(truth, NAMES[best])
    return grid, table


def objective(table: np.ndarray, clips: np.ndarray, families: np.ndarray) -> np.ndarray:
    """Per setting: MIREX averaged over conditions and then over the two families."""
    parts = [
        table[:, :, clips & (families == f)].mean(axis=2).mean(axis=1)
        for f in np.unique(families[clips])
    ]
    return np.asarray(np.mean(parts, axis=0))


def train() -> None:
    """Score the grid on every learnable clip with a key and print the cross-validated choice."""
    items: list[LabelledClip] = [
        i
        for i in learnable_clips()
        if i.clip.key is not None and i.clip.scale is not None and i.source not in REPEATED_PIECES
    ]
    spoken = voices()
    # (voice, dB, room): dry and clean, a voice at each level, and in the rooms (no voice).
    conditions = [(-1, 0.0, False)]
    conditions += [(0, g, False) for g in VOICE_GAINS_DB if g is not None and spoken]
    conditions += [(-1, 0.0, True)]
    energies = []
    for voice, gain, room in conditions:
        jobs = [
            Job(
                i.path,
                -1 if voice < 0 else k % len(spoken),
                gain,
                k % len(TRAINING_ROOMS) if room else -1,
            )
            for k, i in enumerate(items)
        ]
        with ProcessPoolExecutor(max_workers=2) as pool:
            energies.append(list(pool.map(clip_energy, jobs, chunksize=8)))
    truths = [(str(i.clip.key), str(i.clip.scale)) for i in items]
    families = np.array([family(i.source) for i in items])
    # By piece: a music21 piece's renders at other tempi fold with it.
    pieces = [i.clip.meta.get("score") or i.clip.group for i in items]
    folds = np.array([fold_of(p, FOLDS) for p in pieces])
    grid, table = scores_table(energies, truths)
    shipped = grid.index(
        {
            "compression": key.FRAME_COMPRESSION,
            "harmonic_decay": key.HARMONIC_DECAY,
            "bass_weight": key.BASS_WEIGHT,
            "minor_bias": key.MINOR_BIAS,
        }
    )
    chosen_score = np.zeros((len(conditions), len(items)))
    for f in range(FOLDS):
        train_part, test_part = folds != f, folds == f
        best = int(np.argmax(objective(table, train_part, families)))
        chosen_score[:, test_part] = table[best][:, test_part]
    everything = np.ones(len(items), dtype=bool)
    whole = objective(table, everything, families)
    print(f"key: {len(items)} clips, conditions (voice, dB, room): {conditions}")
    rows = {
        "previous settings": table[grid.index(PREVIOUS)],
        "cross-validated choice": chosen_score,
        "shipped settings": table[shipped],
    }
    for name, row in rows.items():
        per = " ".join(
            f"{f} {100 * row[:, families == f].mean():.1f}" for f in np.unique(families).tolist()
        )
        per_condition = " ".join(f"{100 * v:.1f}" for v in row.mean(axis=1).tolist())
        print(
            f"  {name:<23} MIREX {100 * objective(row[None], everything, families)[0]:.1f}"
            f" ({per}; per condition {per_condition})"
        )
    best = int(np.argmax(whole))
    print(f"  best on all clips: {grid[best]} ({100 * whole[best]:.1f}); shipped {grid[shipped]}")
