"""The development sets' clips with a synthetic voice talking over them (short videos often do)."""

from __future__ import annotations

from pathlib import Path

from bench.evaluation.clips import Clip
from bench.training.data import SAMPLE_RATE
from bench.training.voice import heard, voices
from cratedig.media.wav import write_wav24


def voiced_copies(clips: list[Clip], set_dir: Path, root: Path, gain_db: float) -> Path:
    """A folder of the set's clips each with a voice-over at `gain_db` against the music (the
    six voices taken in turn, mono 48 kHz), written once; the labels stay the clips'."""
    spoken = voices()
    if not spoken:
        raise SystemExit("--voice needs espeak-ng (scripts/install-system-deps.sh)")
    out = root / set_dir.name
    out.mkdir(parents=True, exist_ok=True)
    for k, clip in enumerate(clips):
        target = out / clip.file
        if not target.exists():
            mixed = heard(set_dir / clip.file, k % len(spoken), gain_db)
            write_wav24(target, mixed[:, None], SAMPLE_RATE)
    return out
