"""Integrated loudness (ITU-R BS.1770-4 / EBU R128) and true peak, measured in numpy."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cratedig.media.decode import PCM
from cratedig.media.iir import sos_filter

# K-weighting filter coefficients for 48 kHz, from ITU-R BS.1770-4 (the only rate we measure at).
_K_WEIGHTING = (
    # shelf: b0 b1 b2, a0 a1 a2
    (
        1.53512485958697,
        -2.69169618940638,
        1.19839281085285,
        1.0,
        -1.69065929318241,
        0.73248077421585,
    ),
    # high-pass
    (1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621),
)

MEASURE_RATE = 48000
SILENCE_LUFS = -70.0
# BS.1770 annex 2's interpolator: a 48-tap low-pass at the original Nyquist, in 4 phases.
# (scipy.signal.firwin(48, 0.25, window=("kaiser", 8.0)) written out, so numpy suffices.)
_TP_OFFSETS = np.arange(48) - 23.5
_TP_LOWPASS = np.sinc(0.25 * _TP_OFFSETS) * np.kaiser(48, 8.0)
_TP_FILTER = _TP_LOWPASS / _TP_LOWPASS.sum() * 4
_TP_MATRIX = np.stack([_TP_FILTER[k::4] for k in range(4)], axis=1).astype(np.float32)
_TP_TAPS = _TP_MATRIX.shape[0]
_TP_WEIGHT_SUM = float(np.abs(_TP_MATRIX).sum(axis=0).max())
_TP_CHUNK = 100_000  # BS.1770's absolute gate: anything quieter counts as silence


@dataclass(frozen=True)
class Loudness:
    """Integrated loudness in LUFS (None for silence) and true peak in dBTP."""

    integrated_lufs: float | None
    true_peak_dbtp: float


@dataclass(frozen=True)
class GainPlan:
    """The single linear gain that brings a clip to the target, and what limited it."""

    gain_db: float
    limited_by_peak: bool

    @property
    def factor(self) -> float:
        """The gain as a linear multiplier."""
        return float(10.0 ** (self.gain_db / 20.0))


def measure(samples: PCM, sample_rate: int = MEASURE_RATE) -> Loudness:
    """Measure integrated loudness and true peak of (frames, channels) samples at 48 kHz."""
    if sample_rate != MEASURE_RATE:
        raise ValueError(f"loudness is measured at {MEASURE_RATE} Hz, got {sample_rate}")
    return Loudness(integrated_lufs(samples), true_peak_dbtp(samples))


def integrated_lufs(samples: PCM) -> float | None:
    """Gated integrated loudness (400 ms blocks, 75 % overlap, -70 LUFS and -10 LU gates)."""
    weighted = sos_filter(_K_WEIGHTING, samples)
    # A one-shot shorter than a gating block is measured as a single block.
    block = min(int(0.4 * MEASURE_RATE), weighted.shape[0])
    hop = max(1, block // 4)
    if block == 0:
        return None
    squared = np.square(weighted).sum(axis=1)  # L and R weigh 1.0 each
    cumulative = np.concatenate([[0.0], np.cumsum(squared)])
    starts = np.arange(0, weighted.shape[0] - block + 1, hop)
    power = (cumulative[starts + block] - cumulative[starts]) / block
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(power)
    above_absolute = power[block_lufs > SILENCE_LUFS]
    if above_absolute.size == 0:
        return None
    relative_gate = -0.691 + 10.0 * math.log10(above_absolute.mean()) - 10.0
    gated = above_absolute[-0.691 + 10.0 * np.log10(above_absolute) > relative_gate]
    return float(-0.691 + 10.0 * math.log10(gated.mean()))


def true_peak_dbtp(samples: PCM) -> float:
    """Peak of the 4x oversampled signal in dBTP, as BS.1770 annex 2 describes."""
    if samples.size == 0:
        return -math.inf
    magnitude = np.abs(samples).max(axis=1)
    sample_peak = float(magnitude.max())
    if sample_peak == 0.0:
        return -math.inf
    # Each interpolated value is a weighted sum of 12 neighbouring samples, so it can only
    # beat the sample peak next to a sample louder than sample_peak / sum(|weights|).
    # Evaluating just those outputs is exact and skips most of a typical clip.
    loud = np.flatnonzero(magnitude >= sample_peak / _TP_WEIGHT_SUM)
    outputs = np.unique((loud[:, None] + np.arange(_TP_TAPS)).ravel())
    padded = np.pad(np.asarray(samples, dtype=np.float32), ((_TP_TAPS - 1, _TP_TAPS - 1), (0, 0)))
    taps_back = _TP_TAPS - 1 - np.arange(_TP_TAPS)
    peak = sample_peak
    for chunk in np.array_split(outputs, max(1, outputs.size // _TP_CHUNK)):
        windows = padded[chunk[:, None] + taps_back]  # (outputs, taps, channels)
        values = np.einsum("otc,tp->ocp", windows, _TP_MATRIX)
        peak = max(peak, float(np.abs(values).max(initial=0.0)))
    return 20.0 * math.log10(peak)


def plan_gain(loudness: Loudness, *, target_lufs: float, max_true_peak_dbtp: float) -> GainPlan:
    """One gain to reach `target_lufs`, lowered so the true peak stays at or under the ceiling."""
    if loudness.integrated_lufs is None:
        return GainPlan(0.0, False)  # silence: nothing to normalise
    wanted = target_lufs - loudness.integrated_lufs
    allowed = max_true_peak_dbtp - loudness.true_peak_dbtp
    if wanted > allowed:
        return GainPlan(allowed, True)
    return GainPlan(wanted, False)
