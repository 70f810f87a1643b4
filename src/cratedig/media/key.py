"""Musical key (tonic + major/minor) from a peak-picked, tuned log-frequency chroma, pure numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cratedig.media.candidates import relative_likelihoods
from cratedig.media.spectrum import magnitude_frames

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

KEY_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
LOW_PITCH, HIGH_PITCH = 28, 100  # E1 .. E7 (MIDI numbers)
BASS_TOP = 55  # notes below G3 count as bass for the tonic vote
MIN_CONFIDENCE = 0.25
MAX_CANDIDATES = 3
# The four settings below are chosen by `python -m bench.training key`: a grid scored on the
# learnable clips (training sets + tune parts; generated clips and rendered scores weighed
# equally), each clip heard as is and with a synthetic voice over it at -6 and 0 dB.
# With the stricter semitone cut and the held-note filter (`sustained`) the cross-validated
# MIREX is 90.3 against 88.0 without them (same clips, folds and grid; 395 clips).
# log(1 + C * energy / frame peak): each frame counts about equally and a frame's loudest
# notes still outweigh its leakage. Gentler than the former 10, which lifted a talking
# voice's weak partials to near the notes' weight.
FRAME_COMPRESSION = 3.0
# A note's 2nd..5th harmonics sound 12, 19, 24 and 28 semitones above it. Each pitch also
# collects the energy where its harmonics would sound (weight DECAY ** h for the h-th), as
# HPCP spreads each peak over the notes it could be a harmonic of: a chord's fifth and third
# sit on its root's 3rd and 5th harmonics, so roots (the tonic's above all) stand out more
# against the fifths and thirds that overtones add.
HARMONIC_STEPS = (12, 19, 24, 28)
HARMONIC_DECAY = 0.5
# A spectral peak counts towards its nearest semitone with weight 1 - CLOSENESS_SLOPE x its
# distance in semitones (nothing beyond 1/3 semitone; the tonality keeps the gentler 2).
CLOSENESS_SLOPE = 3.0
# Weight of the bass register's tonic vote beside the whole chroma's profile fit.
BASS_WEIGHT = 0.25
# Added to every minor key's score: a minor piece's relative major shares its notes, and
# minor read as the relative major is the commonest miss on real music.
MINOR_BIAS = 0.06
# Temperature over the 24 keys' profile correlations: a key 0.05 behind the best (a typical
# relative major/minor gap) gets ~60 % of its confidence, one 0.2 behind ~10 %.
SCORE_TEMPERATURE = 0.1
# Keys whose confidence would round below this are not offered as alternatives.
MIN_CANDIDATE_CONFIDENCE = 0.01

# Temperley (Kostka-Payne corpus) profiles, index 0 = tonic.
TEMPERLEY_MAJOR = (
    0.748,
    0.060,
    0.488,
    0.082,
    0.670,
    0.460,
    0.096,
    0.715,
    0.104,
    0.366,
    0.057,
    0.400,
)
TEMPERLEY_MINOR = (
    0.712,
    0.084,
    0.474,
    0.618,
    0.049,
    0.460,
    0.105,
    0.747,
    0.404,
    0.067,
    0.133,
    0.330,
)
KRUMHANSL_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
KRUMHANSL_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
# A bass line mostly sits on the tonic, then the dominant and subdominant.
BASS_MAJOR = (1.0, 0.0, 0.25, 0.0, 0.3, 0.5, 0.0, 0.6, 0.0, 0.35, 0.0, 0.1)
BASS_MINOR = (1.0, 0.0, 0.25, 0.35, 0.0, 0.5, 0.0, 0.6, 0.35, 0.0, 0.25, 0.1)
PROFILES = {
    "temperley": (TEMPERLEY_MAJOR, TEMPERLEY_MINOR),
    "krumhansl": (KRUMHANSL_MAJOR, KRUMHANSL_MINOR),
}


@dataclass(frozen=True)
class KeyReading:
    """One reading of a clip's key and how confident it is (0..1)."""

    key: str
    scale: str
    confidence: float


@dataclass(frozen=True)
class KeyEstimate:
    """Tonic name and scale (None when there is no tonal centre) with a 0..1 confidence, and
    the keys considered, best first (the first is `key`; the others often its relative)."""

    key: str | None
    scale: str | None
    confidence: float
    candidates: tuple[KeyReading, ...] = ()


@dataclass(frozen=True)
class Chroma:
    """Time-summed 12-bin pitch-class energy over the whole clip and over the bass register."""

    full: F64
    bass: F64
    tonality: float  # share of spectral peak energy that lands near semitone centres


def _spectrogram(mono: F32, sample_rate: int) -> tuple[F32, F64]:
    # ~0.34 s windows resolve semitones down to the bass register; no overlap, because a key is
    # a whole-clip statistic and half the frames halve the FFT cost.
    n_fft = 1 << round(np.log2(sample_rate * 0.34))
    hop = n_fft
    if mono.size < n_fft:
        mono = np.pad(mono, (0, n_fft - mono.size))
    mag = magnitude_frames(mono, n_fft, hop)
    return mag, np.fft.rfftfreq(n_fft, 1.0 / sample_rate).astype(np.float64)


def pitch_energy(mono: F32, sample_rate: int) -> tuple[F64, float]:
    """Per-frame energy for MIDI pitches LOW_PITCH..HIGH_PITCH from spectral peaks, tuned."""
    mag, freqs = _spectrogram(mono, sample_rate)
    lo = int(np.searchsorted(freqs, 440.0 * 2 ** ((LOW_PITCH - 0.5 - 69) / 12)))
    hi = int(np.searchsorted(freqs, 440.0 * 2 ** ((HIGH_PITCH + 0.5 - 69) / 12)))
    band = mag[:, lo - 1 : hi + 1]
    # Keep only local maxima along frequency: sinusoid peaks, not window leakage or noise floor.
    # Worked on as a list of peaks (a few % of the bins): no frame-by-bin float64 copies.
    core = band[:, 1:-1]
    rows, cols = np.nonzero((core > band[:, :-2]) & (core >= band[:, 2:]) & (core > 0))
    left, centre, right = (band[rows, cols + k].astype(np.float64) for k in range(3))
    # Refine each peak's frequency by parabolic interpolation on the log magnitude.
    la, lb, lc = (np.log(v + 1e-9) for v in (left, centre, right))
    denom = la - 2 * lb + lc
    offset = 0.5 * (la - lc) / np.where(denom == 0, -1e-9, denom)
    peak_freq = freqs[lo:hi][cols] + offset * freqs[1]
    pitch = 69.0 + 12.0 * np.log2(np.maximum(peak_freq, 1.0) / 440.0)
    weight = centre**2
    # Global tuning: the circular mean of peak deviations from the equal-tempered grid.
    dev = pitch - np.rint(pitch)
    total = weight.sum()
    n_pitch = HIGH_PITCH - LOW_PITCH + 1
    if total <= 0:
        return np.zeros((mag.shape[0], n_pitch)), 0.0
    phasor = (weight * np.exp(2j * np.pi * dev)).sum() / total
    tuning = float(np.angle(phasor) / (2 * np.pi))
    pitch -= tuning
    nearest = np.rint(pitch)
    # Energy far from any semitone centre is noise or percussion; weight it down.
    distance = np.abs(pitch - nearest)
    closeness = np.clip(1.0 - 2.0 * distance, 0.0, 1.0)
    tonality = float((weight * closeness).sum() / total)
    idx = np.clip(nearest.astype(int) - LOW_PITCH, 0, n_pitch - 1)
    # The chroma takes a stricter cut than the tonality (which rates the confidence): a
    # talking voice's partials glide between semitones, an instrument's notes sit on them.
    on_grid = np.clip(1.0 - CLOSENESS_SLOPE * distance, 0.0, 1.0)
    flat = np.bincount(
        rows * n_pitch + idx, weights=centre * on_grid, minlength=mag.shape[0] * n_pitch
    )
    return flat.reshape(mag.shape[0], n_pitch).astype(np.float64), tonality


def harmonic_sum(energy: F64, decay: float = HARMONIC_DECAY) -> F64:
    """Per-frame pitch energy where each pitch also gathers its harmonics' energy."""
    out = energy.copy()
    for h, step in enumerate(HARMONIC_STEPS, start=1):
        out[:, :-step] += decay**h * energy[:, step:]
    return out


def sustained(energy: F64) -> F64:
    """Per-frame pitch energy scaled by how much of it a neighbouring frame holds too."""
    neighbours = np.zeros_like(energy)
    neighbours[1:] = energy[:-1]
    np.maximum(neighbours[:-1], energy[1:], out=neighbours[:-1])
    # Geometric mean with the louder neighbour: a held note keeps its energy, a pitch heard
    # in one frame only (a voice's glide, a passing partial) is cut towards zero.
    return np.sqrt(energy * neighbours)


def chroma(mono: F32, sample_rate: int) -> Chroma:
    """Whole-clip chroma and bass chroma; each frame is compressed so loud bars do not dominate."""
    energy, tonality = pitch_energy(mono, sample_rate)
    return chroma_from_energy(energy, tonality)


def chroma_from_energy(
    energy: F64,
    tonality: float,
    compression: float = FRAME_COMPRESSION,
    harmonic_decay: float = HARMONIC_DECAY,
) -> Chroma:
    """Chroma of per-frame pitch energy (the trainer varies the two settings)."""
    energy = harmonic_sum(sustained(energy), harmonic_decay)
    frame_max = energy.max(axis=1, keepdims=True)
    norm = np.log1p(compression * energy / np.where(frame_max > 0, frame_max, 1.0))
    pitches = np.arange(LOW_PITCH, HIGH_PITCH + 1)
    full = np.zeros(12)
    bass = np.zeros(12)
    summed = norm.sum(axis=0)
    np.add.at(full, pitches % 12, summed)
    below = pitches < BASS_TOP
    np.add.at(bass, pitches[below] % 12, summed[below])
    return Chroma(full, bass, tonality)


def _corr_all(vec: F64, profile: tuple[float, ...]) -> F64:
    """Pearson correlation of `vec` with `profile` rotated to each of the 12 tonics."""
    prof = np.asarray(profile, dtype=np.float64)
    rolled = np.stack([np.roll(prof, k) for k in range(12)])
    a = vec - vec.mean()
    b = rolled - rolled.mean(axis=1, keepdims=True)
    den = np.linalg.norm(a) * np.linalg.norm(b, axis=1)
    return np.asarray((b @ a) / np.where(den > 0, den, 1.0), dtype=np.float64)


def key_scores(
    ch: Chroma,
    profile: str = "temperley",
    bass_weight: float = BASS_WEIGHT,
    minor_bias: float = MINOR_BIAS,
) -> F64:
    """Scores for the 24 keys: rows major/minor, columns tonic C..B."""
    major, minor = PROFILES[profile]
    scores = np.stack([_corr_all(ch.full, major), _corr_all(ch.full, minor)])
    if bass_weight > 0 and ch.bass.sum() > 0:
        scores += bass_weight * np.stack(
            [_corr_all(ch.bass, BASS_MAJOR), _corr_all(ch.bass, BASS_MINOR)]
        )
    scores[1] += minor_bias
    return scores / (1.0 + bass_weight)


def estimate_key(mono: F32, sample_rate: int) -> KeyEstimate:
    """Best of the 24 major/minor keys, or None when the audio has no clear tonal centre."""
    ch = chroma(mono, sample_rate)
    # A key needs at least a triad's worth of pitch classes; one held tone has no tonal centre.
    if ch.full.max() <= 0 or int((ch.full >= 0.1 * ch.full.max()).sum()) < 3:
        return KeyEstimate(None, None, 0.0)
    scores = key_scores(ch)
    order = np.argsort(-scores, axis=None, kind="stable")[:MAX_CANDIDATES]
    best = float(scores.flat[order[0]])
    # Profile fit times the share of energy that sits on semitones: noise scores ~0.15, music 0.4+.
    confidence = float(np.clip(best, 0.0, 1.0) * ch.tonality)
    if round(confidence, 3) < MIN_CONFIDENCE:
        return KeyEstimate(None, None, round(confidence, 3))
    weights = confidence * relative_likelihoods(scores.flat[order], SCORE_TEMPERATURE)
    candidates = tuple(
        KeyReading(KEY_NAMES[int(index) % 12], ("major", "minor")[int(index) // 12], round(w, 3))
        for index, w in zip(order, weights.tolist(), strict=True)
        if w >= MIN_CANDIDATE_CONFIDENCE
    )
    first = candidates[0]
    return KeyEstimate(first.key, first.scale, first.confidence, candidates)
