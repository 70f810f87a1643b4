"""Integrated loudness (ITU-R BS.1770-4 / EBU R128) and true peak, measured in numpy."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

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
# BS.1770 annex 2's interpolator: a 48-tap low-pass at the original Nyquist, in 4 phases.
# (scipy.signal.firwin(48, 0.25, window=("kaiser", 8.0)) written out, so numpy suffices.)
_TP_OFFSETS = np.arange(48) - 23.5
_TP_LOWPASS = np.sinc(0.25 * _TP_OFFSETS) * np.kaiser(48, 8.0)
_TP_FILTER = _TP_LOWPASS / _TP_LOWPASS.sum() * 4
_TP_MATRIX = np.stack([_TP_FILTER[k::4] for k in range(4)], axis=1).astype(np.float32)
_TP_TAPS = _TP_MATRIX.shape[0]
_TP_WEIGHT_SUM = float(np.abs(_TP_MATRIX).sum(axis=0).max())
_TP_CHUNK = 1 << 16  # frames per true-peak pass: a few MiB of windows at a time
SILENCE_LUFS = -70.0  # BS.1770's absolute gate: anything quieter counts as silence
# BS.1770's gating blocks: 400 ms, a new one every 100 ms.
_GATE_BLOCK = int(0.4 * MEASURE_RATE)
_GATE_STEP = _GATE_BLOCK // 4
_STEPS_PER_CHUNK = 50  # 5 s of audio filtered at a time
# Frames run through the filter before a chunk: its slowest pole (0.995) decays below 1e-35.
_FILTER_WARMUP = 1 << 14


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


def rms(signal: npt.NDArray[np.floating]) -> float:
    """Root mean square of a 1-D signal (0 for an empty one), by a BLAS dot product: no squared
    copy of a long clip."""
    return float(np.sqrt(float(np.dot(signal, signal)) / max(signal.size, 1)))


def measure(samples: PCM, sample_rate: int = MEASURE_RATE) -> Loudness:
    """Measure integrated loudness and true peak of (frames, channels) samples at 48 kHz."""
    if sample_rate != MEASURE_RATE:
        raise ValueError(f"loudness is measured at {MEASURE_RATE} Hz, got {sample_rate}")
    return Loudness(integrated_lufs(samples), true_peak_dbtp(samples))


def integrated_lufs(samples: PCM) -> float | None:
    """Gated integrated loudness (400 ms blocks, 75 % overlap, -70 LUFS and -10 LU gates)."""
    frames = samples.shape[0]
    if frames == 0:
        return None
    if frames < _GATE_BLOCK:
        # A one-shot shorter than a gating block is measured as a single block.
        weighted = sos_filter(_K_WEIGHTING, samples)
        power = np.array([np.square(weighted).sum() / frames])
    else:
        # Each 400 ms block is four 100 ms steps: sum the steps once, then add four at a time.
        steps = _step_energies(samples)
        blocks = steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]
        power = blocks / _GATE_BLOCK
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(power)
    above_absolute = power[block_lufs > SILENCE_LUFS]
    if above_absolute.size == 0:
        return None
    relative_gate = -0.691 + 10.0 * math.log10(above_absolute.mean()) - 10.0
    gated = above_absolute[-0.691 + 10.0 * np.log10(above_absolute) > relative_gate]
    return float(-0.691 + 10.0 * math.log10(gated.mean()))


def _step_energies(samples: PCM) -> npt.NDArray[np.float64]:
    """K-weighted energy (channels summed, L and R weigh 1.0) of each whole 100 ms step.

    The filter runs over the clip in chunks, each started _FILTER_WARMUP frames early from
    rest: the K-weighting forgets its state long before that, so the chunks join exactly.
    """
    count = samples.shape[0] // _GATE_STEP
    energies = np.empty(count)
    chunk = _GATE_STEP * _STEPS_PER_CHUNK
    for start in range(0, count * _GATE_STEP, chunk):
        stop = min(start + chunk, count * _GATE_STEP)
        lead = min(_FILTER_WARMUP, start)
        weighted = sos_filter(_K_WEIGHTING, samples[start - lead : stop])[lead:]
        per_step = np.square(weighted).sum(axis=1).reshape(-1, _GATE_STEP).sum(axis=1)
        energies[start // _GATE_STEP : stop // _GATE_STEP] = per_step
    return energies


def true_peak_dbtp(samples: PCM) -> float:
    """Peak of the 4x oversampled signal in dBTP, as BS.1770 annex 2 describes."""
    if samples.size == 0:
        return -math.inf
    frames = samples.shape[0]
    sample_peak = max(
        float(np.abs(samples[start : start + _TP_CHUNK]).max())
        for start in range(0, frames, _TP_CHUNK)
    )
    if sample_peak == 0.0:
        return -math.inf
    # Each interpolated value is a weighted sum of 12 neighbouring samples, so it can only
    # beat the sample peak next to a sample louder than sample_peak / sum(|weights|).
    # Evaluating just those outputs is exact and skips most of a typical clip.
    threshold = sample_peak / _TP_WEIGHT_SUM
    peak = sample_peak
    for start in range(0, frames + _TP_TAPS - 1, _TP_CHUNK):
        peak = max(peak, _interpolated_peak(samples, start, start + _TP_CHUNK, threshold))
    return 20.0 * math.log10(peak)


def _interpolated_peak(samples: PCM, start: int, stop: int, threshold: float) -> float:
    """Largest oversampled value among outputs start..stop next to a sample over `threshold`.

    Output o interpolates samples o-TAPS+1..o (zero outside the clip).
    """
    first = start - _TP_TAPS + 1
    window = np.zeros((stop - first, samples.shape[1]), dtype=np.float32)
    lo, hi = max(first, 0), min(stop, samples.shape[0])
    if hi <= lo:
        return 0.0
    window[lo - first : hi - first] = samples[lo:hi]
    loud = np.flatnonzero(np.abs(window).max(axis=1) >= threshold)
    outputs = np.unique((loud[:, None] + np.arange(_TP_TAPS)).ravel())
    outputs = outputs[(outputs >= _TP_TAPS - 1) & (outputs < window.shape[0])]
    windows = window[outputs[:, None] - np.arange(_TP_TAPS)]  # (outputs, taps, channels)
    values = np.einsum("otc,tp->ocp", windows, _TP_MATRIX)
    return float(np.abs(values).max(initial=0.0))


def plan_gain(loudness: Loudness, *, target_lufs: float, max_true_peak_dbtp: float) -> GainPlan:
    """One gain to reach `target_lufs`, lowered so the true peak stays at or under the ceiling."""
    if loudness.integrated_lufs is None:
        return GainPlan(0.0, False)  # silence: nothing to normalise
    wanted = target_lufs - loudness.integrated_lufs
    allowed = max_true_peak_dbtp - loudness.true_peak_dbtp
    if wanted > allowed:
        return GainPlan(allowed, True)
    return GainPlan(wanted, False)
