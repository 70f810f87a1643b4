"""The three systems side by side, each reading a clip's WAV and giving tempo, key and beats."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cratedig.media.analysis import analyze_pcm
from cratedig.media.decode import decode_pcm


@dataclass(frozen=True)
class Estimate:
    """What one system says about one clip; None beats means the system gives no beats."""

    bpm: float | None
    key: str | None
    scale: str | None
    beats: list[float] | None = None
    downbeats: list[float] | None = None


def cratedig_estimate(path: Path) -> Estimate:
    """The product's analysis, fed as the pipeline feeds it (48 kHz stereo PCM)."""
    analysis = analyze_pcm(decode_pcm(path), 48000)
    # Beats and downbeats are picked up as soon as the analysis gives them (issue 16 item 4).
    beats = getattr(analysis, "beats", None)
    downbeats = getattr(analysis, "downbeats", None)
    return Estimate(
        analysis.bpm,
        analysis.key,
        analysis.scale,
        None if beats is None else [float(t) for t in beats],
        None if downbeats is None else [float(t) for t in downbeats],
    )


def librosa_estimate(path: Path) -> Estimate:
    """librosa beat_track (tempo and beats) and a chroma_cqt Krumhansl key, at 22.05 kHz."""
    import librosa

    from bench.librosa_ref import SR, _template_key

    y, _ = librosa.load(path, sr=SR, mono=True)
    tempo, frames = librosa.beat.beat_track(y=y, sr=SR)
    key, scale = _template_key(librosa.feature.chroma_cqt(y=y, sr=SR))
    beats = librosa.frames_to_time(frames, sr=SR)
    return Estimate(float(np.atleast_1d(tempo)[0]), key, scale, [float(t) for t in beats])


def essentia_estimate(path: Path) -> Estimate:
    """essentia RhythmExtractor2013 (multifeature: tempo and beats) and KeyExtractor defaults."""
    import essentia
    import essentia.standard as es

    essentia.log.infoActive = False
    y = es.MonoLoader(filename=str(path), sampleRate=44100)()
    bpm, beats, *_ = es.RhythmExtractor2013(method="multifeature")(y)
    key, scale, _strength = es.KeyExtractor()(y)
    return Estimate(float(bpm), str(key), str(scale), [float(t) for t in beats])


def essentia_available() -> bool:
    """essentia is AGPL and lives in the bench extra only; a Python without a wheel lacks it."""
    return importlib.util.find_spec("essentia") is not None


SYSTEMS: dict[str, Callable[[Path], Estimate]] = {
    "cratedig": cratedig_estimate,
    "librosa": librosa_estimate,
    "essentia": essentia_estimate,
}
# The reference systems do not change between runs: their answers are cached per clip.
CACHED = ("librosa", "essentia")
