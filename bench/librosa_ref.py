"""librosa reference detectors for the benchmark (bench-only: src/ never imports librosa)."""

from __future__ import annotations

import librosa
import numpy as np

NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
KRUMHANSL_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KRUMHANSL_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
SR = 22050


def _mono(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    mono = pcm.mean(axis=1) if pcm.ndim == 2 else pcm
    return librosa.resample(mono.astype(np.float32), orig_sr=sample_rate, target_sr=SR)


def _template_key(chroma: np.ndarray) -> tuple[str, str]:
    """Krumhansl-Schmuckler: correlate the mean chroma with the 24 rotated profiles."""
    mean = chroma.mean(axis=1)
    best = (-2.0, "C", "major")
    for scale, prof in (("major", KRUMHANSL_MAJOR), ("minor", KRUMHANSL_MINOR)):
        for k in range(12):
            r = float(np.corrcoef(mean, np.roll(prof, k))[0, 1])
            if r > best[0]:
                best = (r, NAMES[k], scale)
    return best[1], best[2]


def feature_tempo_detect(pcm: np.ndarray, sample_rate: int) -> tuple[float, str, str]:
    """librosa.feature.tempo with its default prior, chroma_stft template key."""
    y = _mono(pcm, sample_rate)
    bpm = float(librosa.feature.tempo(y=y, sr=SR)[0])
    key, scale = _template_key(librosa.feature.chroma_stft(y=y, sr=SR))
    return bpm, key, scale


def beat_track_detect(pcm: np.ndarray, sample_rate: int) -> tuple[float, str, str]:
    """librosa.beat.beat_track tempo, chroma_cqt template key."""
    y = _mono(pcm, sample_rate)
    tempo, _ = librosa.beat.beat_track(y=y, sr=SR)
    key, scale = _template_key(librosa.feature.chroma_cqt(y=y, sr=SR))
    return float(np.atleast_1d(tempo)[0]), key, scale
