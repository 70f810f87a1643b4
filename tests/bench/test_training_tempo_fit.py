"""The tempo scorer's fit learns which grid tempo a feature marks, whatever the clip count."""

from __future__ import annotations

import numpy as np

from bench.training.tempo import fit


def _clips(count: int, seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Random features over a 40-point grid; feature 0 is high near each clip's right tempo."""
    rng = np.random.default_rng(seed)
    features, labels = [], []
    for _ in range(count):
        x = rng.normal(0, 1, (40, 4))
        right = np.zeros(40, dtype=bool)
        at = int(rng.integers(2, 38))
        right[at - 1 : at + 2] = True
        x[right, 0] += 3.0
        features.append(x)
        labels.append(right)
    return features, labels


def test_the_fit_learns_the_marking_feature_and_scores_unseen_clips_right() -> None:
    features, labels = _clips(60, seed=1)
    model = fit(features, labels, l2=0.001, units=3, seed=5)
    assert model.weights[0] > 0.5 * np.abs(model.weights[1:]).max()
    test_x, test_y = _clips(40, seed=2)
    hits = [right[int(np.argmax(model.scores(x)))] for x, right in zip(test_x, test_y, strict=True)]
    assert np.mean(hits) >= 0.9


def test_the_fit_is_the_same_each_run() -> None:
    features, labels = _clips(20, seed=3)
    first = fit(features, labels, l2=0.01, units=2, seed=7)
    again = fit(features, labels, l2=0.01, units=2, seed=7)
    assert np.array_equal(first.hidden, again.hidden)
    assert np.array_equal(first.weights, again.weights)
