"""Fit the tempo scorer's weights (softmax over the tempo grid) and write models/tempo.json."""

from __future__ import annotations

import hashlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from bench.training.data import SAMPLE_RATE, LabelledClip, learnable_clips, mono_pcm
from cratedig.media import tempo_model
from cratedig.media.tempo import onset_autocorrelations, onset_envelopes

FEATURE_CACHE = Path(".cache/training/tempo-features")
# L2 penalty, chosen by 5-fold cross-validation on the learnable clips (see README).
L2 = 0.003
# A grid tempo within the Acc1 tolerance of the label counts as right.
TOLERANCE = 0.04


def clip_features(item: LabelledClip) -> np.ndarray:
    """The scorer's features for one clip (cached on disk per feature layout)."""
    key = hashlib.sha256(f"{tempo_model.FEATURE_VERSION}\0{item.path}".encode()).hexdigest()[:16]
    cached = FEATURE_CACHE / f"{key}.npy"
    if cached.exists():
        return np.load(cached)
    env = onset_envelopes(mono_pcm(item.path), SAMPLE_RATE)
    features = tempo_model.tempo_features(onset_autocorrelations(env), env.fps, env.brightness)
    FEATURE_CACHE.mkdir(parents=True, exist_ok=True)
    np.save(cached, features)
    return features


def right_answers(bpm: float) -> np.ndarray:
    """Grid points that score as the labelled tempo."""
    return np.asarray(np.abs(tempo_model.GRID / bpm - 1) <= TOLERANCE)


def fit(features: list[np.ndarray], labels: list[np.ndarray], l2: float) -> tempo_model.TempoModel:
    """Maximise the softmax probability of the right grid points, with an L2 penalty."""
    stacked = np.concatenate(features)
    mean, scale = stacked.mean(axis=0), stacked.std(axis=0) + 1e-9
    xs = [(f - mean) / scale for f in features]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for x, right in zip(xs, labels, strict=True):
            s = x @ w
            e = np.exp(s - s.max())
            p = e / e.sum()
            hit = e[right]
            total -= np.log(hit.sum()) - np.log(e.sum())
            grad += x.T @ p - x[right].T @ (hit / hit.sum())
        n = len(xs)
        return total / n + l2 * float(w @ w), grad / n + 2 * l2 * w

    result = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B")
    return tempo_model.TempoModel(mean, scale, result.x)


def train(out: Path = tempo_model.MODEL_FILE, l2: float = L2) -> None:
    """Extract features of every learnable clip, fit, and write the weights file."""
    items = [i for i in learnable_clips() if i.clip.bpm > 0]
    with ProcessPoolExecutor(max_workers=2) as pool:
        features = list(pool.map(clip_features, items))
    labels = [right_answers(i.clip.bpm) for i in items]
    keep = [k for k, right in enumerate(labels) if right.any()]  # labels off the grid teach nothing
    model = fit([features[k] for k in keep], [labels[k] for k in keep], l2)
    counts: dict[str, int] = {}
    for k in keep:
        counts[items[k].source] = counts.get(items[k].source, 0) + 1
    tempo_model.save_model(
        model, out, {"clips": counts, "l2": l2, "trainer": "bench.training.tempo"}
    )
    print(f"tempo: {len(keep)} clips ({counts}) -> {out}")
