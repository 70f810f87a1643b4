"""Bars from beats: beats per bar (2, 3 or 4) and which beats are downbeats, numpy only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cratedig.media.beats import FRAME_DELAY
from cratedig.media.tempo import Envelopes

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

# Window of each beat's pitch-class snapshot: ~170 ms at 48 kHz resolves bass semitones well
# enough to see a chord change.
CHROMA_SECONDS = 0.17
CHROMA_RANGE = (55.0, 4000.0)  # Hz: bass notes up to the top of most chords
CHROMA_BLOCK = 128  # beats whose snapshots are computed together (8 MiB of frames at 48 kHz)
# Samples of the onset envelope per beat in the rhythm pattern (a 16th-note and a triplet grid).
PATTERN_STEPS = 12
# Weights of a beat's downbeat evidence: its onset per band (the kick and bass count most; in
# unaccented polyphony more voices start on the bar) and the harmony changing on it.
BAND_WEIGHTS = (1.0, 0.5, 0.5)
CHANGE_WEIGHT = 1.0
METERS = (2, 3, 4)
SIMPLE_METERS = (3, 4)
# Two beats a bar (6/8 read at the dotted quarter) when beats divide in three and a 2-beat bar
# explains the evidence nearly as well as a 4-beat one.
COMPOUND_SHARE = 0.8
# Fewer beats than this cannot show whether bars repeat every 3 or 4: such a clip gets the
# common 4 (its downbeat still chosen by the evidence).
MIN_BEATS_FOR_METER = 9


@dataclass(frozen=True)
class Bars:
    """The clip's meter in beats per bar and the indices of the beats that start a bar."""

    beats_per_bar: int
    downbeat_indices: npt.NDArray[np.int64]


def find_bars(mono: F32, sample_rate: int, env: Envelopes, beats: F64) -> Bars | None:
    """Meter and bar phase from the onsets and harmonic changes on each beat: the bar
    length whose best position stands out most (2 only for beats that divide in three)."""
    if beats.size < 4:
        return None
    chroma = _unit_rows(beat_chroma(mono, sample_rate, beats))
    # The first beat has no harmony before it to change from: no evidence, either way.
    change = np.r_[np.nan, 1.0 - np.sum(chroma[1:] * chroma[:-1], axis=1)]
    evidence = CHANGE_WEIGHT * _zscore(change)
    for weight, band in zip(BAND_WEIGHTS, env.bands, strict=True):
        evidence += weight * _zscore(_at_beats(band, env.fps, beats))
    contrasts = {m: _phase_contrast(evidence, m) for m in METERS}
    meter = max(SIMPLE_METERS, key=lambda m: contrasts[m][0])
    if beats.size < MIN_BEATS_FOR_METER:
        meter = 4
    elif (
        meter == 4 and _ternary(env, beats) and contrasts[2][0] >= COMPOUND_SHARE * contrasts[4][0]
    ):
        meter = 2
    phase = contrasts[meter][1]
    return Bars(meter, np.arange(phase, beats.size, meter, dtype=np.int64))


def _phase_contrast(evidence: F64, meter: int) -> tuple[float, int]:
    """How far the best bar position's mean evidence stands above the mean, and that position."""
    means = [float(np.mean(evidence[p::meter])) for p in range(min(meter, evidence.size))]
    phase = int(np.argmax(means))
    return means[phase] - float(np.mean(evidence)), phase


def _ternary(env: Envelopes, beats: F64) -> bool:
    """Whether beats divide in three (onsets at 1/3 and 2/3 of the beat, not at 1/2)."""
    pattern = beat_patterns(env, beats).reshape(beats.size, 3, PATTERN_STEPS).sum(axis=(0, 1))
    thirds = min(pattern[PATTERN_STEPS // 3], pattern[2 * PATTERN_STEPS // 3])
    return bool(thirds > pattern[PATTERN_STEPS // 2])


def beat_chroma(mono: F32, sample_rate: int, beats: F64) -> F64:
    """A 12-bin pitch-class magnitude snapshot just after each beat."""
    n_fft = 1 << round(np.log2(sample_rate * CHROMA_SECONDS))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    inside = np.flatnonzero((freqs >= CHROMA_RANGE[0]) & (freqs <= CHROMA_RANGE[1]))
    classes = np.rint(12 * np.log2(freqs[inside] / 440.0)).astype(np.int64) % 12
    starts = np.clip((beats * sample_rate).astype(np.int64), 0, max(0, mono.size - n_fft))
    out = np.zeros((beats.size, 12))
    if mono.size < n_fft:
        return out
    window = np.hanning(n_fft).astype(np.float32)
    # A block of beats at a time: a long clip's beats at once would be a large matrix.
    for first in range(0, beats.size, CHROMA_BLOCK):
        block = starts[first : first + CHROMA_BLOCK]
        frames = mono[block[:, None] + np.arange(n_fft)[None, :]] * window
        mag = np.abs(np.fft.rfft(frames, axis=1))[:, inside]
        for pc in range(12):
            out[first : first + block.size, pc] = mag[:, classes == pc].sum(axis=1)
    return out


def beat_patterns(env: Envelopes, beats: F64) -> F64:
    """Each beat's onset envelope per band sampled at PATTERN_STEPS points across the beat."""
    ends = np.r_[beats[1:], 2 * beats[-1] - beats[-2]]
    steps = np.arange(PATTERN_STEPS) / PATTERN_STEPS
    times = beats[:, None] + (ends - beats)[:, None] * steps[None, :]
    frames = np.arange(env.bands.shape[1]) / env.fps
    rows = [np.interp(times, frames, band, right=0.0) for band in env.bands]
    return np.hstack(rows)


def _at_beats(band: F64, fps: float, beats: F64) -> F64:
    """The strongest onset within ±2 frames of each beat (NaN for a beat before the envelope's
    first frame: a beat carried back to the clip's start has no onset measured)."""
    frame = np.rint(beats * fps - FRAME_DELAY).astype(np.int64)
    centre = np.clip(frame, 0, band.size - 1)
    near = np.clip(centre[:, None] + np.arange(-2, 3)[None, :], 0, band.size - 1)
    strongest = np.asarray(band[near].max(axis=1), dtype=np.float64)
    return np.where(frame < 0, np.nan, strongest)


def _unit_rows(x: F64) -> F64:
    centred = x - x.mean(axis=0, keepdims=True)
    norm = np.linalg.norm(centred, axis=1, keepdims=True)
    return np.asarray(centred / np.where(norm > 0, norm, 1.0), dtype=np.float64)


def _zscore(x: F64) -> F64:
    """Standard scores; an unknown (NaN) value scores 0, the mean."""
    known = x[np.isfinite(x)]
    std = float(known.std()) if known.size else 0.0
    if std == 0:
        return np.zeros_like(x)
    return np.asarray(np.nan_to_num((x - known.mean()) / std, nan=0.0), dtype=np.float64)
