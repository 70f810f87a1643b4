"""Rooms and mastering: reverb and loudness limiting, as real recordings have and our renders
do not. Training hears clips in TRAINING_ROOMS (decaying-noise impulse responses, a soft
clipper); the evaluation's `--room` hears them in EVALUATION_ROOMS, made a different way
(a Schroeder reverb of feedback combs and all-passes, a look-ahead peak limiter), so a
figure under `--room` does not reward learning one reverb's fingerprint."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve, lfilter

from bench.training.data import SAMPLE_RATE, LabelledClip


@dataclass(frozen=True)
class Room:
    """A reverb (decay time RT60 in seconds, the wet signal's level against the dry) and a
    limiter driving the peak `drive_db` into it (0: none)."""

    rt60: float
    wet_db: float
    drive_db: float


# Small rooms to halls, dry-ish to washed, half of them mastered loud.
TRAINING_ROOMS = (
    Room(0.5, -3.0, 0.0),
    Room(0.9, 0.0, 12.0),
    Room(1.4, -2.0, 0.0),
    Room(2.0, 0.0, 8.0),
    Room(2.8, -4.0, 0.0),
    Room(1.1, 2.0, 15.0),
)
EVALUATION_ROOMS = (
    Room(0.7, -2.0, 10.0),
    Room(1.6, 0.0, 0.0),
    Room(2.4, -3.0, 14.0),
)


def in_training_room(music: np.ndarray, room: int) -> np.ndarray:
    """The music in training room `room`: convolved with decaying noise, then soft-clipped."""
    preset = TRAINING_ROOMS[room]
    rng = np.random.default_rng(room)
    length = int(preset.rt60 * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    # Exponential decay reaching -60 dB at RT60; high frequencies die out faster (a one-pole
    # low-pass that closes over the tail), as in real rooms.
    impulse = rng.standard_normal(length) * np.exp(-6.91 * t / preset.rt60)
    dark = lfilter([0.2], [1.0, -0.8], impulse)
    fade = np.clip(t / preset.rt60, 0.0, 1.0)
    impulse = (1.0 - fade) * impulse + fade * dark
    impulse[: int(0.015 * SAMPLE_RATE)] = 0.0  # the first reflections arrive after 15 ms
    wet = fftconvolve(music.astype(np.float64), impulse)[: music.size]
    mixed = music + _at_level(wet, music, preset.wet_db)
    if preset.drive_db > 0:
        drive = 10 ** (preset.drive_db / 20) / max(float(np.abs(mixed).max()), 1e-9)
        mixed = np.tanh(drive * mixed)
    return _normalised(mixed)


def in_evaluation_room(music: np.ndarray, room: int) -> np.ndarray:
    """The music in evaluation room `room`: a Schroeder reverb, then a peak limiter."""
    preset = EVALUATION_ROOMS[room]
    x = music.astype(np.float64)
    wet = np.zeros_like(x)
    for delay_ms in (29.7, 37.1, 41.1, 43.7):
        delay = int(delay_ms * SAMPLE_RATE / 1000)
        gain = 10 ** (-3.0 * delay_ms / 1000 / preset.rt60)  # -60 dB after RT60
        wet += _delay_recursion(x, delay, gain, all_pass=False)
    for delay_ms, gain in ((5.0, 0.7), (1.7, 0.7)):
        wet = _delay_recursion(wet, int(delay_ms * SAMPLE_RATE / 1000), gain, all_pass=True)
    mixed = x + _at_level(wet, x, preset.wet_db)
    if preset.drive_db > 0:
        mixed = _peak_limited(mixed, preset.drive_db)
    return _normalised(mixed)


def _delay_recursion(x: np.ndarray, delay: int, gain: float, all_pass: bool) -> np.ndarray:
    """A feedback comb y[n] = x[n] + g y[n-D], or an all-pass y[n] = -g x[n] + x[n-D] +
    g y[n-D], worked a delay's length at a time (each block needs only the one before)."""
    count = -(-x.size // delay)
    blocks = np.pad(x, (0, count * delay - x.size)).reshape(count, delay)
    out = np.empty_like(blocks)
    previous_in = previous_out = np.zeros(delay)
    for k, block in enumerate(blocks):
        if all_pass:
            out[k] = -gain * block + previous_in + gain * previous_out
        else:
            out[k] = block + gain * previous_out
        previous_in, previous_out = block, out[k]
    return out.ravel()[: x.size]


def _peak_limited(x: np.ndarray, drive_db: float) -> np.ndarray:
    """Gain `drive_db` into a 5 ms look-ahead limiter with a 100 ms release (no clipping)."""
    x = x * 10 ** (drive_db / 20) / max(float(np.abs(x).max()), 1e-9)
    look = int(0.005 * SAMPLE_RATE)
    block = SAMPLE_RATE // 1000  # the gain is worked out per millisecond, then interpolated
    peak = np.abs(x)
    ahead = np.lib.stride_tricks.sliding_window_view(np.pad(peak, (0, look)), look + 1)
    wanted = np.minimum(1.0, 1.0 / np.maximum(ahead.max(axis=1), 1e-9))
    count = -(-wanted.size // block)
    needed = np.pad(wanted, (0, count * block - wanted.size), mode="edge").reshape(count, block)
    needed = needed.min(axis=1)
    # The gain falls at once and recovers with a one-pole release of 100 ms.
    release = np.exp(-1.0 / 100.0)
    gain = np.empty_like(needed)
    level = 1.0
    for i, want in enumerate(needed):  # a plain loop: each step depends on the last
        level = want if want < level else want + (level - want) * release
        gain[i] = level
    gain = np.interp(np.arange(x.size), np.arange(count) * block, gain)
    return x * gain


def _at_level(wet: np.ndarray, dry: np.ndarray, level_db: float) -> np.ndarray:
    ratio = np.sqrt(np.mean(dry**2) / max(float(np.mean(wet**2)), 1e-20))
    return np.asarray(wet * ratio * 10 ** (level_db / 20))


def _normalised(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.9 * x / max(float(np.abs(x).max()), 1e-9), dtype=np.float32)


def room_tag(room: int) -> str:
    """What a feature cache's key says of training room `room`: its settings, not only its
    index, so features made in a room since retuned are not reused ("" when dry)."""
    return "" if room < 0 else f"\0room {TRAINING_ROOMS[room]}"


def with_rooms(items: list[LabelledClip]) -> list[LabelledClip]:
    """Each clip again in a training room, the rooms taken in turn."""
    return [dataclasses.replace(item, room=k % len(TRAINING_ROOMS)) for k, item in enumerate(items)]
