"""Beat times from the onset envelopes and a tempo: dynamic programming (Ellis 2007), numpy only."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from cratedig.media.loudness import rms
from cratedig.media.peaks import onset_peaks
from cratedig.media.tempo import LAG, Envelopes

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

# Band weights (low, mid, high) of the envelope the beats are placed on: unlike the tempo
# comb, the kick counts here, since it sits on the beat far more often than between beats.
BEAT_BAND_WEIGHTS = (0.6, 1.0, 1.0)
# How strongly an interval off the tempo's period is penalised (log-ratio squared): high keeps
# the grid steady through syncopation and even eighths (jigs), low follows played-in timing.
# 120 and 250 were alike on generated grooves with 20 ms jitter; 250 kept jigs on the beat.
TIGHTNESS = 250.0
# Envelope frame i measures the rise of the frame LAG hops later over this one; the rise shows
# when an attack reaches the middle of the window. Measured on clicks (tests/media/test_beats).
FRAME_DELAY = LAG + 1.0
# Durational accent: a note that sounds longer than the notes around it (a quarter among
# eighths, the long note of a jig's long-short) tends to fall on the beat. An onset peak gains
# this share of its strength per octave its gap to the next onset exceeds the typical gap
# (up to two octaves): unaccented melodies (reels and jigs played at one velocity) have
# nothing else to place the beat by. Chosen on the learnable clips (`bench.training.beats`,
# 0-4): at 1 no source loses and rendered folk tunes gain most (train-music21 beat F 0.805 ->
# 0.909); 2 gained as much in all but cost a generated clip.
DURATION_ACCENT = 1.0
# An onset peak (`peaks.onset_peaks`) stands above this share of the loud onsets' strength.
PEAK_SHARE = 0.3
# Beats at either end whose onset is this far under the typical beat's are the tracker running
# on into silence, not beats.
WEAK_EDGE = 0.15
# A beat in the clip's first frames has no envelope frame of its own (the flux needs frames
# before it): the grid is carried back to it when the clip sounds there, this early at most.
EARLIEST = -0.015
# "Sounds there": the first 100 ms at least this share of the clip's RMS level.
AUDIBLE_SHARE = 0.1


def beat_envelope(env: Envelopes) -> F64:
    """The band-weighted onset strength the beats are tracked on."""
    mixed = np.asarray(np.tensordot(np.asarray(BEAT_BAND_WEIGHTS), env.bands, axes=1))
    return np.asarray(mixed + DURATION_ACCENT * _duration_accent(mixed, env.fps), dtype=np.float64)


def _duration_accent(onset: F64, fps: float) -> F64:
    """At each onset peak, its strength times the octaves (0..2) by which the gap to the next
    peak exceeds the median gap; zero elsewhere."""
    out = np.zeros_like(onset)
    if onset.size < 3 or not onset.any():
        return out
    peaks = onset_peaks(onset, fps, PEAK_SHARE)
    if peaks.size < 3:
        return out
    gaps = np.diff(peaks).astype(np.float64)
    longer = np.clip(np.log2(gaps / np.median(gaps)), 0.0, 2.0)
    out[peaks[:-1]] = onset[peaks[:-1]] * longer
    return out


def track_beats(env: Envelopes, bpm: float, hop_seconds: float | None = None) -> F64:
    """Beat times in seconds for a clip at about `bpm` (local drift within the tightness)."""
    onset = beat_envelope(env)
    period = 60.0 * env.fps / bpm
    if onset.size < 2 * period or not onset.any():
        return np.zeros(0)
    local = _local_score(onset, period)
    frames = _best_path(local, period)
    frames = _trim_weak_edges(frames, local)
    hop = 1.0 / env.fps if hop_seconds is None else hop_seconds
    return np.asarray((frames + FRAME_DELAY) * hop, dtype=np.float64)


def extend_to_start(beats: F64, bpm: float, mono: F32, sample_rate: int) -> F64:
    """Carry the beat grid back to the clip's first moments when the clip sounds there."""
    period = 60.0 / bpm
    if beats.size == 0 or beats[0] - period < EARLIEST:
        return beats
    if rms(mono[: int(0.1 * sample_rate)].astype(np.float64)) < AUDIBLE_SHARE * rms(mono):
        return beats
    count = int((beats[0] - EARLIEST) // period)
    earlier = beats[0] - period * np.arange(count, 0, -1)
    return np.concatenate([np.maximum(earlier, 0.0), beats])


def extend_to_end(beats: F64, bpm: float, mono: F32, sample_rate: int) -> F64:
    """Carry the beat grid on to the clip's end while the clip still sounds around each beat.

    The envelope stops a few frames short of the end, and a held final chord has no onsets
    for the tracker to find: the beats go on all the same while the music is heard.
    """
    if beats.size == 0 or mono.size == 0:
        return beats
    period = 60.0 / bpm
    duration = mono.size / sample_rate
    overall = rms(mono)
    later: list[float] = []
    at = float(beats[-1]) + period
    while at < duration:
        lo = int(max(0.0, at - period / 2) * sample_rate)
        seg = mono[lo : int((at + period / 2) * sample_rate)].astype(np.float64)
        if seg.size == 0 or rms(seg) < AUDIBLE_SHARE * overall:
            break
        later.append(at)
        at += period
    return np.concatenate([beats, np.asarray(later)]) if later else beats


def _local_score(onset: F64, period: float) -> F64:
    """The onset strength smoothed by a narrow Gaussian (width ~1/32 beat), scaled to unit std."""
    half = max(1, round(period / 8))
    x = np.arange(-half, half + 1)
    kernel = np.exp(-0.5 * (x * 32.0 / period) ** 2)
    score = np.convolve(onset, kernel, mode="same")
    std = float(score.std())
    return score / std if std > 0 else score


def _best_path(local: F64, period: float) -> npt.NDArray[np.int64]:
    """Frames of the best-scoring beat sequence: each beat adds its onset strength and pays for
    the log-ratio of its interval to the period (interval from half to twice the period)."""
    low, high = max(1, round(period / 2)), round(2 * period)
    intervals = np.arange(high, low - 1, -1, dtype=np.float64)  # column j: interval high - j
    penalty = -TIGHTNESS * np.log(intervals / period) ** 2
    n = local.size
    # Padded at the front with zeros: a sequence may start anywhere at no cost.
    cumulative = np.zeros(high + n)
    backlink = np.full(n, -1, dtype=np.int64)
    # Frames less than `low` apart never link to each other: a block of them is independent.
    for start in range(0, n, low):
        stop = min(n, start + low)
        # Row t - start: cumulative scores of frames t - high .. t - low (padded coordinates).
        window = sliding_window_view(cumulative[start : stop + high - low], intervals.size)
        candidates = window[: stop - start] + penalty
        best = np.argmax(candidates, axis=1)
        gain = candidates[np.arange(stop - start), best]
        linked = gain > 0
        cumulative[high + start : high + stop] = local[start:stop] + np.where(linked, gain, 0.0)
        backlink[start:stop] = np.where(linked, np.arange(start, stop) - high + best, -1)
    scores = cumulative[high:]
    # The last beat: the best cumulative score within the final period.
    tail = max(0, n - round(period))
    frame = tail + int(np.argmax(scores[tail:]))
    path = [frame]
    while backlink[frame] >= 0:
        frame = int(backlink[frame])
        path.append(frame)
    return np.asarray(path[::-1], dtype=np.int64)


def _trim_weak_edges(frames: npt.NDArray[np.int64], local: F64) -> npt.NDArray[np.int64]:
    """Drop leading and trailing beats with almost no onset under them."""
    if frames.size < 3:
        return frames
    strength = local[frames]
    floor = WEAK_EDGE * float(np.median(strength))
    strong = np.flatnonzero(strength > floor)
    if strong.size == 0:
        return frames
    return frames[strong[0] : strong[-1] + 1]
