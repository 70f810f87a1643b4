"""Tempo (BPM) estimation from band-wise onset envelopes, pure numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cratedig.media.spectrum import BATCH_FRAMES, magnitude_frames

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

MIN_BPM, MAX_BPM = 40.0, 240.0
# log(1 + C * mag / peak): bins 80 dB under the clip's peak barely register.
COMPRESSION = 10000.0
# Flux against the frame two hops back: the ~21 ms hop is shorter than many attacks.
LAG = 2
BPM_GRID = np.exp(np.linspace(np.log(MIN_BPM), np.log(MAX_BPM), 800))
COMB = ((0.5, 0.5), (1.0, 1.0), (2.0, 0.75), (3.0, 0.5), (4.0, 0.5))
# Band weights (low, mid, high): hats and snares mark the beat more reliably than the kick,
# whose syncopations (funk, trap) often land off it.
BAND_WEIGHTS = (0.0, 0.5, 1.0)
# Log-normal tempo prior: centred near 130 BPM for bright, drum-kit music and near 70 BPM for
# dark, drumless music (a piano ballad's eighth notes are a subdivision, not its beat).
PRIOR_DARK, PRIOR_BRIGHT, PRIOR_OCTAVES = 70.0, 130.0, 0.9
DARK, BRIGHT = 1e-3, 6e-3
MIN_CONFIDENCE = 0.05
MIN_ACTIVITY = 0.01
Z_NOISE, Z_CLEAR = 2.5, 15.0
# Band edges (Hz): kick and bass / body of snares, chords and voices / hats and cymbals.
BAND_EDGES = (0.0, 200.0, 2500.0, 1e9)


@dataclass(frozen=True)
class TempoEstimate:
    """A tempo in BPM (None when there is no clear beat) and a 0..1 confidence."""

    bpm: float | None
    confidence: float


@dataclass(frozen=True)
class Envelopes:
    """Per-band onset strength (rows: low, mid, high) and their sum, at `fps` frames a second."""

    bands: F64
    total: F64
    fps: float
    brightness: float  # share of energy above 5 kHz: hats and cymbals, i.e. a drum kit
    activity: float  # mean positive log-spectral change per bin and frame: ~0 for steady tones


def onset_envelopes(mono: F32, sample_rate: int) -> Envelopes:
    """Half-wave-rectified log-spectral flux summed per frequency band, locally detrended."""
    # ~21 ms windows, hop half of that: fine enough for 240 BPM, cheap at 48 kHz.
    n_fft = 1 << round(np.log2(sample_rate * 0.0213))
    hop = n_fft // 2
    if mono.size < n_fft * 4:
        return Envelopes(np.zeros((3, 1)), np.zeros(1), sample_rate / hop, 0.0, 0.0)
    mag = magnitude_frames(mono, n_fft, hop)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate).astype(np.float64)
    brightness = _brightness(mag, freqs)
    # Compress relative to the clip's peak: level-independent, and the codec noise floor and
    # reverb tails stay near zero instead of adding random flux. In place: the clip is long.
    logmag = mag
    np.multiply(mag, np.float32(COMPRESSION / max(float(mag.max()), 1e-12)), out=logmag)
    np.log1p(logmag, out=logmag)
    fps = sample_rate / hop
    selections = [(freqs >= BAND_EDGES[b]) & (freqs < BAND_EDGES[b + 1]) for b in range(3)]
    count = logmag.shape[0] - LAG
    raw = np.empty((3, count))
    flux_sum = 0.0
    for start in range(0, count, BATCH_FRAMES):
        flux = _superflux(logmag, start, min(start + BATCH_FRAMES, count))
        for b, sel in enumerate(selections):
            raw[b, start : start + flux.shape[0]] = flux[:, sel].sum(axis=1, dtype=np.float64)
        flux_sum += float(flux.sum(dtype=np.float64))
    bands = np.stack([_detrend(raw[b], fps) for b in range(3)])
    total = bands.sum(axis=0)
    activity = flux_sum / max(count * logmag.shape[1], 1)
    return Envelopes(bands, total, fps, brightness, activity)


def _brightness(mag: F32, freqs: F64) -> float:
    """Share of the power above 5 kHz; every 4th frame is plenty for a ratio."""
    high = freqs > 5000.0
    above = everything = 0.0
    for start in range(0, mag.shape[0], BATCH_FRAMES * 4):  # a multiple of 4: same frames
        power = mag[start : start + BATCH_FRAMES * 4 : 4].astype(np.float64) ** 2
        above += float(power[:, high].sum())
        everything += float(power.sum())
    return above / max(everything, 1e-20)


def _superflux(logmag: F32, start: int, stop: int) -> F32:
    """Rectified flux of frames start+LAG..stop+LAG against the maximum over neighbouring bins
    LAG frames before (SuperFlux), so vibrato and slow glides do not read as onsets."""
    before = logmag[start:stop]
    prev = before.copy()
    prev[:, 1:] = np.maximum(prev[:, 1:], before[:, :-1])
    prev[:, :-1] = np.maximum(prev[:, :-1], before[:, 1:])
    flux: F32 = np.maximum(logmag[start + LAG : stop + LAG] - prev, 0.0)
    return flux


def _detrend(env: F64, fps: float) -> F64:
    """Subtract a ~1 s moving average and rectify so slow loudness changes do not count."""
    width = max(3, int(fps))
    kernel = np.ones(width) / width
    out = np.maximum(env - np.convolve(env, kernel, mode="same"), 0.0)
    scale = out.std()
    return out / scale if scale > 0 else out


def autocorrelation(env: F64) -> F64:
    """Unbiased-normalised autocorrelation (lag 0 == 1) via the FFT."""
    x = env - env.mean()
    n = x.size
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[:n]
    if acf[0] <= 0:
        return np.zeros(n)
    # Dividing by the overlap keeps long lags comparable with short ones.
    return np.asarray(acf / acf[0] * n / (n - np.arange(n)), dtype=np.float64)


def _interp(acf: F64, lags: F64) -> F64:
    return np.interp(lags, np.arange(acf.size), acf, right=0.0)


def comb_salience(acf: F64, fps: float, bpms: F64) -> F64:
    """Harmonic sum of the autocorrelation at 1/2..4 beat periods for each candidate tempo.

    Multiples reward a tempo whose bars also repeat; the half period rewards a tempo whose
    subdivision is present too, which favours the beat over a slow bar-level pulse.
    """
    periods = 60.0 * fps / bpms
    total = np.zeros_like(bpms)
    for k, weight in COMB:
        lag = k * periods
        # Take the best of lag-1..lag+1 so a grid point slightly off the peak still counts.
        near = np.maximum(_interp(acf, lag - 1), _interp(acf, lag + 1))
        total += weight * np.maximum(_interp(acf, lag), near)
    return total


def refine_bpm(acf: F64, fps: float, bpm: float) -> float:
    """Sharpen a tempo to 0.1 BPM using the comb over many beat periods of the whole clip."""
    grid = np.arange(bpm * 0.97, bpm * 1.03, 0.05)
    periods = 60.0 * fps / grid
    count = max(1, min(16, int(acf.size * 0.5 / periods.max())))
    total = np.zeros_like(grid)
    for k in range(1, count + 1):
        total += _interp(acf, k * periods)
    return float(grid[int(np.argmax(total))])


def tempo_prior(bpms: F64, brightness: float) -> F64:
    """Log prior over tempi; its centre slides with how much drum-kit brightness there is."""
    share = np.log10(max(brightness, 1e-12) / DARK) / np.log10(BRIGHT / DARK)
    centre = PRIOR_DARK + (PRIOR_BRIGHT - PRIOR_DARK) * float(np.clip(share, 0.0, 1.0))
    return np.asarray(-((np.log2(bpms / centre) / PRIOR_OCTAVES) ** 2), dtype=np.float64)


def estimate_tempo(mono: F32, sample_rate: int) -> TempoEstimate:
    """Beat tempo: weighted band-wise comb salience plus a brightness-dependent tempo prior."""
    env = onset_envelopes(mono, sample_rate)
    # A steady tone or drone has (almost) no spectral change: nothing to count beats on.
    if env.activity < MIN_ACTIVITY or not env.total.any():
        return TempoEstimate(None, 0.0)
    salience = np.zeros_like(BPM_GRID)
    mixed = np.zeros(env.total.size)
    for weight, band in zip(BAND_WEIGHTS, env.bands, strict=True):
        if weight > 0:
            acf = autocorrelation(band)
            salience += weight * comb_salience(acf, env.fps, BPM_GRID)
            mixed += weight * acf
    best = int(np.argmax(salience + tempo_prior(BPM_GRID, env.brightness)))
    bpm = refine_bpm(mixed, env.fps, float(BPM_GRID[best]))
    # Confidence: how far the chosen tempo's salience stands above the typical tempo's, in
    # robust standard deviations. White/pink/brown noise measured below 2; grooves 10-60.
    median = float(np.median(salience))
    spread = float(np.median(np.abs(salience - median))) * 1.4826 + 1e-12
    z = (float(salience[best]) - median) / spread
    confidence = float(np.clip((z - Z_NOISE) / (Z_CLEAR - Z_NOISE), 0.0, 1.0))
    if confidence < MIN_CONFIDENCE:
        return TempoEstimate(None, round(confidence, 3))
    return TempoEstimate(round(bpm, 1), round(confidence, 3))
