"""Tempo (BPM) estimation from band-wise onset envelopes, pure numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cratedig.media import tempo_model
from cratedig.media.chromagram import Chromagrams, chromagrams
from cratedig.media.peaks import onset_peaks
from cratedig.media.spectrum import BATCH_FRAMES, magnitude_frames
from cratedig.media.tempo_model import GRID, RATE_SHARES

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
# A clear pulse: the chosen tempo's salience this many robust deviations above the typical
# tempo's. White, pink and brown noise measured 0.4-1.6; chorales 10-45, grooves 8-60; a
# rubato piano ballad 1.6 (a reading all the same, at the lowest confidence).
Z_NOISE, Z_CLEAR = 2.5, 15.0
# Noise's salience at the tempo the scorer picks: 2.0-4.0 over 30 white-noise seeds. Below
# this and with noise's onset contrast, a clip is noise unless something else (a key) is tonal.
Z_NOISE_GATE = 5.0
# Onset contrast: the loudest frames' spectral rise over the median frame's. Noise measured
# 1.4-1.5, a reverberant MP3 piano ballad 2.0, chorales 20-50, drums far more.
MIN_ONSET_CONTRAST = 3.0
# Any reading of a clip with a pulse gets at least this confidence: low, but a tempo.
MIN_CONFIDENCE = 0.05
# An alternative reading is offered while the scorer gives it at least this probability.
MIN_PROBABILITY = 0.05
# The loudest onsets (99.5th percentile of per-frame spectral change): steady tones, drones,
# vibrato and sweeps measured 0.002-0.018; sustained chords changing on the beat 0.046 and up.
MIN_ONSET_PEAK = 0.03
ONSET_PEAK_PERCENTILE = 99.5
MAX_CANDIDATES = 3
# Readings within this ratio of each other are the same tempo (the Acc1 tolerance).
SAME_TEMPO = 0.04
# Related tempi always considered beside the salience peaks: half/double, and the 2/3 and 3/2
# that confuse triple and compound meters.
OCTAVES = (0.5, 2.0)
RELATED = (*OCTAVES, 2.0 / 3.0, 1.5)
# Above this sample rate the onset analysis works on every other sample's pair average.
MAX_ONSET_RATE = 32000
# Band edges (Hz): kick and bass / body of snares, chords and voices / hats and cymbals.
BAND_EDGES = (0.0, 200.0, 2500.0, 1e9)
# Harmonic change: each chromagram frame (~170 ms every ~43 ms) against the one CHANGE_LAG
# frames back. Unaccented music (chorales, string quartets) shows its beat and bar in where
# harmony moves.
CHANGE_LAG = 2


@dataclass(frozen=True)
class TempoReading:
    """One reading of a clip's tempo and how confident it is (0..1)."""

    bpm: float
    confidence: float


@dataclass(frozen=True)
class TempoEstimate:
    """A tempo in BPM (None when there is no pulse), its 0..1 confidence, and the readings
    considered, best first (the first is `bpm`; the others often its half or double)."""

    bpm: float | None
    confidence: float
    candidates: tuple[TempoReading, ...] = ()
    # No tempo stands out and the onsets are as even as noise's: music only if something
    # else (a key) says so.
    noise_like: bool = False


@dataclass(frozen=True)
class Envelopes:
    """Per-band onset strength (rows: low, mid, high) and their sum, at `fps` frames a second."""

    bands: F64
    total: F64
    fps: float
    brightness: float  # share of energy above 5 kHz: hats and cymbals, i.e. a drum kit
    onset_peak: float  # the loudest frames' mean log-spectral rise per bin: ~0 for steady tones
    onset_contrast: float  # onset_peak over the median frame's rise: ~1.4 for noise
    harmony: F64  # how much the pitch-class content changes, on the same frames as `total`
    grams: Chromagrams  # of the signal the onsets were measured on


def onset_envelopes(mono: F32, sample_rate: int) -> Envelopes:
    """Half-wave-rectified log-spectral flux summed per frequency band, locally detrended."""
    if sample_rate > MAX_ONSET_RATE:
        # Pairs averaged: half the FFT work, and onsets, hats included, live below 12 kHz.
        usable = mono[: mono.size // 2 * 2]
        mono = usable[0::2] + usable[1::2]
        mono *= np.float32(0.5)
        sample_rate //= 2
    # ~21 ms windows, hop half of that: fine enough for 240 BPM.
    n_fft = 1 << round(np.log2(sample_rate * 0.0213))
    hop = n_fft // 2
    if mono.size < n_fft * 4:
        empty = np.zeros(1)
        grams = chromagrams(mono[:0], sample_rate)
        return Envelopes(np.zeros((3, 1)), empty, sample_rate / hop, 0.0, 0.0, 0.0, empty, grams)
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
    per_frame = np.empty(count)  # mean rise per bin of each frame
    for start in range(0, count, BATCH_FRAMES):
        flux = _superflux(logmag, start, min(start + BATCH_FRAMES, count))
        for b, sel in enumerate(selections):
            raw[b, start : start + flux.shape[0]] = flux[:, sel].sum(axis=1, dtype=np.float64)
        per_frame[start : start + flux.shape[0]] = flux.mean(axis=1, dtype=np.float64)
    bands = np.stack([_detrend(raw[b], fps) for b in range(3)])
    total = bands.sum(axis=0)
    onset_peak = float(np.percentile(per_frame, ONSET_PEAK_PERCENTILE))
    typical = float(np.median(per_frame))
    contrast = onset_peak / typical if typical > 0 else np.inf
    grams = chromagrams(mono, sample_rate)
    harmony = _detrend(harmonic_change(grams, fps, total.size), fps)
    return Envelopes(bands, total, fps, brightness, onset_peak, contrast, harmony, grams)


def harmonic_change(grams: Chromagrams, fps: float, frames: int) -> F64:
    """Cosine distance between each log chromagram frame and the one CHANGE_LAG frames back,
    weighted by how pitched both are, on the onset envelope's `frames` frames."""
    raw = grams.harmony
    if raw.shape[0] <= CHANGE_LAG:
        return np.zeros(frames)
    raw = raw / max(float(raw.max()), 1e-12)
    chroma = np.log1p(100.0 * raw)
    chroma /= np.maximum(np.linalg.norm(chroma, axis=1, keepdims=True), 1e-12)
    # Only pitched sound has a harmony: a frame counts by how uneven its pitch classes are
    # (noise, drums and silence are flat) and how loud it is (60 dB of range).
    flatness = np.exp(np.log(raw + 1e-12).mean(axis=1)) / (raw.mean(axis=1) + 1e-12)
    loudness = np.clip(1.0 + np.log10(raw.sum(axis=1) + 1e-12) / 3.0, 0.0, 1.0)
    pitched = (1.0 - flatness) * loudness
    change = np.zeros(raw.shape[0])
    change[CHANGE_LAG:] = (
        1.0 - np.sum(chroma[CHANGE_LAG:] * chroma[:-CHANGE_LAG], axis=1)
    ) * np.minimum(pitched[CHANGE_LAG:], pitched[:-CHANGE_LAG])
    # Onset frame j measures the change LAG hops after frame j's start.
    return np.interp(np.arange(frames), grams.centres * fps - LAG, change)


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


def onset_autocorrelations(env: Envelopes) -> list[F64]:
    """Autocorrelations of the low, mid and high bands, their sum and the harmonic change
    (the scorer's input)."""
    signals = [*env.bands, env.total, env.harmony]
    return [autocorrelation(signal) for signal in signals]


def onset_rates(env: Envelopes) -> F64:
    """Onset peaks a second of the summed onsets, the low band and the harmonic change, each
    at the RATE_SHARES thresholds (at least one peak a clip: a rate is never zero)."""
    duration = max(env.total.size / env.fps, 1e-3)
    return np.asarray(
        [
            max(onset_peaks(signal, env.fps, share).size, 1) / duration
            for signal in (env.total, env.bands[0], env.harmony)
            for share in RATE_SHARES
        ]
    )


def scorer_features(env: Envelopes, acfs: list[F64]) -> F64:
    """The tempo scorer's features of a clip (`tempo_model.tempo_features`)."""
    return tempo_model.tempo_features(acfs, env.fps, env.brightness, onset_rates(env))


def estimate_tempo(mono: F32, sample_rate: int) -> TempoEstimate:
    """Beat tempo of a clip: see `tempo_from_envelopes`."""
    return tempo_from_envelopes(onset_envelopes(mono, sample_rate))


def tempo_from_envelopes(env: Envelopes) -> TempoEstimate:
    """The learned scorer picks the beat's metrical level; the comb salience of the mid and
    high bands says how clear the pulse is (the confidence and the noise gate)."""
    # A steady tone or drone has (almost) no spectral change: nothing to count beats on.
    if env.onset_peak < MIN_ONSET_PEAK or not env.total.any():
        return TempoEstimate(None, 0.0)
    acfs = onset_autocorrelations(env)
    salience = np.zeros_like(BPM_GRID)
    mixed = np.zeros(env.total.size)
    for weight, acf in zip(BAND_WEIGHTS, acfs, strict=False):
        if weight > 0:
            salience += weight * comb_salience(acf, env.fps, BPM_GRID)
            mixed += weight * acf
    model = tempo_model.load_model()
    score = model.scores(scorer_features(env, acfs))
    best = int(np.argmax(score))
    # Clarity: how far the chosen tempo's salience stands above the typical tempo's, in
    # robust standard deviations.
    median = float(np.median(salience))
    spread = float(np.median(np.abs(salience - median))) * 1.4826 + 1e-12
    z = (float(np.interp(np.log(GRID[best]), np.log(BPM_GRID), salience)) - median) / spread
    noise_like = z < Z_NOISE_GATE and env.onset_contrast < MIN_ONSET_CONTRAST
    clarity = float(np.clip((z - Z_NOISE) / (Z_CLEAR - Z_NOISE), MIN_CONFIDENCE, 1.0))
    probability = np.exp(score - score.max())
    probability /= probability.sum()
    candidates: list[TempoReading] = []
    for i in tempo_candidates(score, best):
        bpm = round(refine_bpm(mixed, env.fps, float(GRID[i])), 1)
        # The probability that the beat lies within the Acc1 tolerance of this reading.
        mass = float(probability[np.abs(GRID / GRID[i] - 1) <= SAME_TEMPO].sum())
        if not candidates:
            candidates.append(TempoReading(bpm, round(max(clarity * mass, MIN_CONFIDENCE), 3)))
            continue
        # The half or double of the best is always offered (a producer may count either);
        # other readings only while likely. A side lobe can refine onto a reading taken.
        octave = _is_octave(GRID[i] / GRID[best]) and not any(
            _is_octave(r.bpm / candidates[0].bpm) for r in candidates[1:]
        )
        if _taken(bpm, candidates) or (mass < MIN_PROBABILITY and not octave):
            continue
        confidence = min(round(max(clarity * mass, 0.001), 3), candidates[0].confidence)
        candidates.append(TempoReading(bpm, confidence))
    first, *others = candidates
    others.sort(key=lambda reading: -reading.confidence)
    return TempoEstimate(first.bpm, first.confidence, (first, *others), noise_like)


def _is_octave(ratio: float) -> bool:
    return any(abs(ratio / factor - 1) <= SAME_TEMPO for factor in OCTAVES)


def _taken(bpm: float, readings: list[TempoReading]) -> bool:
    return any(abs(bpm / reading.bpm - 1) <= SAME_TEMPO for reading in readings)


def tempo_candidates(score: F64, best: int) -> list[int]:
    """Grid indices of up to MAX_CANDIDATES distinct readings, best score first: the best, the
    local peaks near its related tempi, and the other peaks of the score."""
    inner = score[1:-1]
    peaks = (np.flatnonzero((inner >= score[:-2]) & (inner >= score[2:])) + 1).tolist()
    near_related = [_peak_near(score, GRID[best] * ratio) for ratio in RELATED]
    pool = sorted({*peaks, *(i for i in near_related if i is not None)}, key=lambda i: -score[i])
    chosen = [best]
    for i in pool:
        if len(chosen) == MAX_CANDIDATES:
            break
        if all(abs(GRID[i] / GRID[j] - 1) > SAME_TEMPO for j in chosen):
            chosen.append(i)
    return chosen


def _peak_near(score: F64, bpm: float) -> int | None:
    """The best grid index within SAME_TEMPO of `bpm` (None when `bpm` is off the grid)."""
    inside = np.flatnonzero(np.abs(GRID / bpm - 1) <= SAME_TEMPO)
    return None if inside.size == 0 else int(inside[np.argmax(score[inside])])
