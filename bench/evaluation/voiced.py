"""The development sets' clips as short videos often carry them: with a synthetic voice talking
over them, or in a reverberant, loudly mastered room (as real recordings are)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.evaluation.clips import Clip
from bench.training.data import SAMPLE_RATE, mono_pcm
from bench.training.room import EVALUATION_ROOMS, in_evaluation_room
from bench.training.voice import heard, voices
from cratedig.media.wav import write_wav24


def voiced_copies(clips: list[Clip], set_dir: Path, root: Path, gain_db: float) -> Path:
    """A folder of the set's clips each with a voice-over at `gain_db` against the music (the
    six voices taken in turn, mono 48 kHz), written once; the labels stay the clips'."""
    spoken = voices()
    if not spoken:
        raise SystemExit("--voice needs espeak-ng (scripts/install-system-deps.sh)")
    return _copies(clips, set_dir, root, lambda k, path: heard(path, k % len(spoken), gain_db))


def room_copies(clips: list[Clip], set_dir: Path, root: Path) -> Path:
    """A folder of the set's clips each in one of the evaluation's rooms (taken in turn; a
    reverb and limiter made unlike the training's), written once; the labels stay the clips'."""
    return _copies(
        clips,
        set_dir,
        root,
        lambda k, path: in_evaluation_room(mono_pcm(path), k % len(EVALUATION_ROOMS)),
    )


def _copies(
    clips: list[Clip], set_dir: Path, root: Path, make: Callable[[int, Path], np.ndarray]
) -> Path:
    out = root / set_dir.name
    out.mkdir(parents=True, exist_ok=True)
    for k, clip in enumerate(clips):
        target = out / clip.file
        if not target.exists():
            write_wav24(target, make(k, set_dir / clip.file)[:, None], SAMPLE_RATE)
    return out
