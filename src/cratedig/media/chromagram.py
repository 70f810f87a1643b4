"""Pitch-class magnitudes of ~170 ms frames every quarter frame, per register, from one FFT."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

# ~170 ms frames (5.9 Hz bins at 24 kHz) resolve bass semitones well enough to see a chord
# change; a quarter-frame hop follows beats up to ~240 BPM.
GRAM_SECONDS = 0.17
# Registers (Hz): all notes (bass notes up to the top of most chords), the bass line whose note
# changes mark the bar, and chords without the lowest bass or the top voices' harmonics (the
# tempo scorer's harmonic change).
FULL_RANGE = (55.0, 4000.0)
BASS_RANGE = (40.0, 260.0)
HARMONY_RANGE = (80.0, 2000.0)
# Frames transformed together: a long clip's frames at once would be several copies of it.
GRAM_BLOCK = 128


@dataclass(frozen=True)
class PitchClassBins:
    """Which FFT bins lie in a register, and the pitch class (semitones from A) of each."""

    inside: npt.NDArray[np.int64]
    classes: npt.NDArray[np.int64]

    @classmethod
    def of(cls, freqs: npt.NDArray[np.floating], band: tuple[float, float]) -> PitchClassBins:
        """The bins of `freqs` (Hz) from band[0] to band[1], each to its nearest semitone."""
        inside = np.flatnonzero((freqs >= band[0]) & (freqs <= band[1]))
        return cls(inside, np.rint(12 * np.log2(freqs[inside] / 440.0)).astype(np.int64) % 12)

    def fold(self, mag: npt.NDArray[np.floating]) -> F64:
        """Magnitude frames (frames, bins) summed per pitch class: (frames, 12)."""
        part = mag[:, self.inside]
        out = np.zeros((mag.shape[0], 12))
        for pc in range(12):
            out[:, pc] = part[:, self.classes == pc].sum(axis=1)
        return out


@dataclass(frozen=True)
class Chromagrams:
    """Pitch-class magnitudes per frame, (frames, 12) for each register, and the seconds at
    each frame's centre."""

    full: F64
    bass: F64
    harmony: F64
    centres: F64


def chromagrams(signal: F32, rate: float) -> Chromagrams:
    """The three registers' chromagrams of `signal` sampled at `rate` (none when shorter than
    a frame)."""
    n_fft = 1 << round(np.log2(rate * GRAM_SECONDS))
    hop = n_fft // 4
    count = 1 + (signal.size - n_fft) // hop if signal.size >= n_fft else 0
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    maps = [PitchClassBins.of(freqs, band) for band in (FULL_RANGE, BASS_RANGE, HARMONY_RANGE)]
    grams = [np.zeros((count, 12)) for _ in maps]
    if count:
        window = np.hanning(n_fft).astype(np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(signal, n_fft)[::hop][:count]
        for first in range(0, count, GRAM_BLOCK):
            mag = np.abs(np.fft.rfft(frames[first : first + GRAM_BLOCK] * window, axis=1))
            for gram, bins in zip(grams, maps, strict=True):
                gram[first : first + mag.shape[0]] = bins.fold(mag)
    centres = (np.arange(count) * hop + n_fft / 2) / rate
    full, bass, harmony = grams
    return Chromagrams(full, bass, harmony, centres)
