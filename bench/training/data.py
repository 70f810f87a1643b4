"""Labelled clips a model may learn from: training sets plus the development sets' tune parts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.evaluation.clips import CACHE_ROOT, Clip
from bench.evaluation.sets import all_sets
from bench.evaluation.split import TUNE, part_of
from bench.training.grooves import write_wavs
from bench.training.sets import TRAINING_ROOT, later_training_clips, training_clips
from cratedig.media.decode import decode_pcm, to_mono

SAMPLE_RATE = 48000  # as the pipeline feeds the analysis


@dataclass(frozen=True)
class LabelledClip:
    """A clip's label and where its audio is; `source` names the set it came from."""

    clip: Clip
    path: Path
    source: str
    # A voice-over mixed in when the clip is heard (index into `voice.voices()`; -1: none).
    voice: int = -1
    voice_db: float = 0.0
    # Heard in a reverberant, loudly mastered room (index into `room.TRAINING_ROOMS`; -1: dry).
    room: int = -1

    @property
    def heard_as(self) -> str:
        """The source's name as the tables print it: "+voice" when a voice is mixed in,
        "+room" when it is heard in a room."""
        return (
            self.source
            + (" +voice" if self.voice >= 0 else "")
            + (" +room" if self.room >= 0 else "")
        )


def learnable_clips() -> list[LabelledClip]:
    """Every clip training may read: never a development set's held-back (report) part."""
    out = _labelled(training_clips(TRAINING_ROOT))
    for path, made in write_wavs(TRAINING_ROOT / "train-grooves"):
        clip = Clip(made.id, made.id, path.name, made.bpm, "synthesis tempo", None, None, [], [])
        out.append(LabelledClip(clip, path, "train-grooves"))
    for dev in all_sets():
        for clip in dev.load(CACHE_ROOT):
            if part_of(dev.name, clip.group) == TUNE:
                out.append(LabelledClip(clip, CACHE_ROOT / dev.name / clip.file, dev.name))
    return out + _labelled(later_training_clips(TRAINING_ROOT))


def _labelled(sets: dict[str, list[Clip]]) -> list[LabelledClip]:
    """Training sets' clips, each named by its set."""
    return [
        LabelledClip(c, TRAINING_ROOT / name / c.file, name)
        for name, clips in sets.items()
        for c in clips
    ]


def fold_of(piece: str, folds: int) -> int:
    """A piece's cross-validation fold, by hash: stable across runs and feature layouts."""
    return hashlib.sha256(piece.encode()).digest()[0] % folds


def mono_pcm(path: Path) -> np.ndarray:
    """The clip as the analysis sees it: 48 kHz, channels averaged, float32."""
    return to_mono(np.asarray(decode_pcm(path, sample_rate=SAMPLE_RATE), dtype=np.float32))
