"""Seamless loop points: for 1, 2, 4 and 8 bars, the downbeat where a loop joins most cleanly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

LOOP_BARS = (1, 2, 4, 8)
# Each side of a join is compared over this long: a few tens of ms is what the ear hears as
# the cut, and long enough to hold a kick's body.
JOIN_SECONDS = 0.05
# Log-spaced bands the spectra are compared in (30 Hz .. 16 kHz).
BAND_COUNT = 24
BAND_RANGE = (30.0, 16000.0)
# Weight of the loudness step at the cut against the spectral difference (both in dB).
LOUDNESS_WEIGHT = 0.5
# A loop may end this far past the clip's last sample (a rounding of the bar length).
END_SLACK = 0.002


@dataclass(frozen=True)
class Loop:
    """A loop of `bars` bars from `start` to `end` seconds, both on the beat grid."""

    bars: int
    start: float
    end: float


def find_loops(
    mono: F32, sample_rate: int, downbeats: F64, beats_per_bar: int, bpm: float
) -> tuple[Loop, ...]:
    """The cleanest-joining loop of each bar count that fits, starting on a tracked downbeat."""
    duration = mono.size / sample_rate
    bar = beats_per_bar * 60.0 / bpm
    spectra = _JoinSpectra(mono, sample_rate)
    loops = []
    for bars in LOOP_BARS:
        length = bars * bar
        starts = [float(d) for d in downbeats if d + length <= duration + END_SLACK]
        if not starts:
            continue
        costs = [spectra.join_cost(s, s + length) for s in starts]
        best = starts[int(np.argmin(costs))]
        end = min(best + length, duration)
        loops.append(Loop(bars, round(best, 3), round(end, 3)))
    return tuple(loops)


class _JoinSpectra:
    """Band log-spectra of short windows of one clip, for comparing the two sides of a cut."""

    def __init__(self, mono: F32, sample_rate: int) -> None:
        self.mono, self.rate = mono, sample_rate
        self.size = 1 << round(np.log2(sample_rate * JOIN_SECONDS))
        self.window = np.hanning(self.size)
        freqs = np.fft.rfftfreq(self.size, 1.0 / sample_rate)
        edges = np.geomspace(*BAND_RANGE, BAND_COUNT + 1)
        self.band_of = np.searchsorted(edges, freqs) - 1
        self.inside = (self.band_of >= 0) & (self.band_of < BAND_COUNT)
        # Every bar count reuses the same downbeats: each point's spectrum is taken once.
        self.seen: dict[float, F64] = {}

    def join_cost(self, start: float, end: float) -> float:
        """How audible jumping from `end` back to `start` is: what follows (or, at the clip's
        end, precedes) each point compared in bands, plus the loudness step across the cut."""
        follows = end + JOIN_SECONDS <= self.mono.size / self.rate
        if follows:
            spectral = _distance(self._bands(end), self._bands(start))
        else:
            spectral = _distance(self._bands(end - JOIN_SECONDS), self._bands(start - JOIN_SECONDS))
        # Playing the loop, the audio just before `end` is followed by the audio at `start`.
        step = abs(self._level(end - JOIN_SECONDS) - self._level(start))
        return spectral + LOUDNESS_WEIGHT * step

    def _segment(self, at: float) -> F64:
        first = round(at * self.rate)
        first = min(max(first, 0), max(0, self.mono.size - self.size))
        seg = np.zeros(self.size)
        chunk = self.mono[first : first + self.size]
        seg[: chunk.size] = chunk
        return seg

    def _bands(self, at: float) -> F64:
        if at not in self.seen:
            self.seen[at] = self._measure_bands(at)
        return self.seen[at]

    def _measure_bands(self, at: float) -> F64:
        power = np.abs(np.fft.rfft(self._segment(at) * self.window)) ** 2
        bands = np.bincount(
            self.band_of[self.inside], weights=power[self.inside], minlength=BAND_COUNT
        )
        return np.asarray(10.0 * np.log10(bands + 1e-10), dtype=np.float64)

    def _level(self, at: float) -> float:
        seg = self._segment(at)
        return float(10.0 * np.log10(np.mean(seg * seg) + 1e-10))


def _distance(a: F64, b: F64) -> float:
    """Mean absolute band difference in dB, with bands 60 dB under the loudest counted as quiet."""
    floor = max(float(a.max()), float(b.max())) - 60.0
    return float(np.mean(np.abs(np.maximum(a, floor) - np.maximum(b, floor))))
