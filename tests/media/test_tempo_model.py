"""The shipped tempo weights: they load, fit the feature layout, and are refused when stale."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cratedig.media import tempo_model


def test_the_shipped_weights_fit_the_feature_layout() -> None:
    model = tempo_model.load_model()
    assert model.weights.shape == (tempo_model.feature_count(),)
    assert np.isfinite(model.weights).all() and (model.scale > 0).all()
    provenance = json.loads(tempo_model.MODEL_FILE.read_text())["provenance"]
    # Trained only on learnable clips: never a development set's held-back part.
    assert provenance["trainer"] == "bench.training.tempo"


def test_features_have_one_row_per_grid_tempo() -> None:
    acf = np.cos(np.arange(2000) * 2 * np.pi / 47.0)  # a pulse every 47 frames
    rates = np.full(tempo_model.RATE_SIGNALS * len(tempo_model.RATE_SHARES), 4.0)
    features = tempo_model.tempo_features(
        [acf] * tempo_model.SIGNALS, fps=94.0, brightness=0.01, rates=rates
    )
    assert features.shape == (tempo_model.GRID_POINTS, tempo_model.feature_count())
    beat = 60 * 94.0 / 47.0
    near = int(np.argmin(np.abs(tempo_model.GRID - beat)))
    # The autocorrelation read at one beat period is high at the pulse's tempo.
    assert features[near, 3] > 0.9


def test_weights_for_another_feature_layout_are_refused(tmp_path: Path) -> None:
    stale = tmp_path / "tempo.json"
    data = json.loads(tempo_model.MODEL_FILE.read_text())
    data["weights"] = data["weights"][:-1]
    stale.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="another feature layout"):
        tempo_model.load_model(stale)


def test_note_density_is_read_as_onsets_a_beat_at_each_grid_tempo() -> None:
    acf = np.cos(np.arange(2000) * 2 * np.pi / 47.0)
    rates = np.asarray([4.0, 2.0, 1.0, 0.5, 8.0, 3.0])  # onsets a second
    features = tempo_model.tempo_features(
        [acf] * tempo_model.SIGNALS, fps=94.0, brightness=0.01, rates=rates
    )
    at_120 = int(np.argmin(np.abs(tempo_model.GRID - 120.0)))
    beats_a_second = tempo_model.GRID[at_120] / 60.0
    density = features[at_120, -2 * rates.size :].reshape(rates.size, 2)
    # Last columns: log2 onsets a beat and its square, signal by signal.
    assert np.allclose(density[:, 0], np.log2(rates / beats_a_second))
    assert np.allclose(density[:, 1], density[:, 0] ** 2)
    # 4 onsets a second is two a beat at 120 BPM, one at 240.
    assert abs(density[0, 0] - 1.0) < 0.01
