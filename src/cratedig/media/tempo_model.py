"""The learned tempo scorer: a small network over periodicity features at each candidate tempo.

Picking the metrical level (the beat, not its half, double or 2/3) is where fixed priors
failed on music made differently (issue 16): a softmax over a log-spaced tempo grid, scored by
weights that `python -m bench.training tempo` fits on the training sets and the development
sets' tune parts only (each also with a voice talking over it and in a reverberant room),
ships as `models/tempo.json` (about 2,700 numbers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

MODEL_FILE = Path(__file__).with_name("models") / "tempo.json"
FEATURE_VERSION = 5
# Signals whose autocorrelations are read: low, mid and high band onsets, their sum, harmony.
SIGNALS = 5
GRID_MIN, GRID_MAX, GRID_POINTS = 40.0, 240.0, 400
# Where the autocorrelation is read, in beat periods: subdivisions (1/3, 1/2), the 2/3 of a
# triple feel, the beat, and bar-like multiples.
PERIOD_MULTIPLES = (1 / 3, 0.5, 2 / 3, 1.0, 1.5, 2.0, 3.0, 4.0)
# Radial basis over log2(bpm / 100): the learned tempo prior.
PRIOR_CENTRES_BPM = (45.0, 60.0, 75.0, 90.0, 110.0, 130.0, 155.0, 185.0, 220.0)
PRIOR_WIDTH_OCTAVES = 0.2
# A lag is read as the best of a few points around it: jitter and a coarse frame rate.
LAG_SPREAD = (-1.5, -0.75, 0.0, 0.75, 1.5)
# Note density: how many onsets a second the summed onsets, the low band and the harmonic
# change show (`tempo.onset_rates`), each counted at two thresholds, read at each grid tempo
# as log2 onsets a beat and its square: a beat holds one to a few notes, seldom a dozen or a
# fraction of one, and chords change about once a beat or a bar.
RATE_SIGNALS = 3
RATE_SHARES = (0.2, 0.5)
GRID = np.exp(np.linspace(np.log(GRID_MIN), np.log(GRID_MAX), GRID_POINTS))


@dataclass(frozen=True)
class TempoModel:
    """Standardisation, a linear term and a small tanh layer over each tempo's features."""

    mean: F64
    scale: F64
    weights: F64  # (features,): the linear term
    hidden: F64  # (features, units)
    hidden_bias: F64  # (units,)
    output: F64  # (units,)

    def scores(self, features: F64) -> F64:
        """Log-odds of each grid tempo being the beat."""
        x = (features - self.mean) / self.scale
        hidden = np.tanh(x @ self.hidden + self.hidden_bias)
        return np.asarray(hidden @ self.output + x @ self.weights, dtype=np.float64)


def feature_count() -> int:
    """How many features each grid tempo has: each signal's readings (plain, and times the
    tempo's octave and its square), the prior's basis, brightness, onsets a beat."""
    rates = RATE_SIGNALS * len(RATE_SHARES)
    return 3 * SIGNALS * len(PERIOD_MULTIPLES) + len(PRIOR_CENTRES_BPM) + 1 + 2 * rates


def tempo_features(acfs: list[F64], fps: float, brightness: float, rates: F64) -> F64:
    """Features shaped (GRID_POINTS, feature_count()) from the SIGNALS autocorrelations
    (lag 0 == 1) at `fps` frames a second and the onsets a second (`tempo.onset_rates`)."""
    periods = 60.0 * fps / GRID
    columns = [_peak(acf, multiple * periods) for acf in acfs for multiple in PERIOD_MULTIPLES]
    octaves = np.log2(GRID / 100.0)
    for centre in PRIOR_CENTRES_BPM:
        columns.append(
            np.exp(-0.5 * ((octaves - np.log2(centre / 100.0)) / PRIOR_WIDTH_OCTAVES) ** 2)
        )
    # Bright (drum-kit) music sits faster than dark music: a prior slope that slides with it.
    columns.append(octaves * (np.log10(max(brightness, 1e-6)) + 2.5))
    # The same periodicity means different things at 60 and at 180 BPM (a strong half-period
    # is a subdivision at one, a faster beat at the other): readings weighted by tempo too.
    readings = np.stack(columns[: SIGNALS * len(PERIOD_MULTIPLES)], axis=1)
    per_beat = np.log2(np.asarray(rates)[None, :] / (GRID[:, None] / 60.0))
    return np.hstack(
        [
            np.stack(columns, axis=1),
            readings * octaves[:, None],
            readings * octaves[:, None] ** 2,
            np.stack([per_beat, per_beat**2], axis=2).reshape(GRID_POINTS, -1),
        ]
    )


def _peak(acf: F64, lags: F64) -> F64:
    positions = np.arange(acf.size)
    readings = [np.interp(lags + d, positions, acf, right=0.0) for d in LAG_SPREAD]
    return np.asarray(np.max(readings, axis=0), dtype=np.float64)


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_FILE) -> TempoModel:
    """The shipped weights; a file for other features is refused rather than misread."""
    data = json.loads(path.read_text())
    if data.get("feature_version") != FEATURE_VERSION or len(data["weights"]) != feature_count():
        raise ValueError(f"{path}: weights for another feature layout; retrain the model")
    arrays = {name: np.asarray(data[name], dtype=np.float64) for name in _ARRAYS}
    return TempoModel(**arrays)


_ARRAYS = ("mean", "scale", "weights", "hidden", "hidden_bias", "output")


def save_model(model: TempoModel, path: Path, provenance: dict[str, object]) -> None:
    """Write weights with what they were trained on (rounded: the file stays small)."""
    payload: dict[str, object] = {"feature_version": FEATURE_VERSION, "provenance": provenance}
    for name in _ARRAYS:
        payload[name] = np.round(getattr(model, name), 6).tolist()
    path.write_text(json.dumps(payload, separators=(",", ":")) + "\n")
