"""The numpy biquad cascade against scipy's sosfilt (the reference it replaces)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from cratedig.media.iir import sos_filter
from cratedig.media.loudness import _K_WEIGHTING

# Odd order: one section has a real pole.
LOW_PASS = tuple(tuple(row) for row in signal.butter(5, 0.1, output="sos"))


@pytest.mark.parametrize("frames", [1, 2, 31, 32, 33, 1025, 32 * 32 * 32 + 7, 200_000])
@pytest.mark.parametrize("sos", [_K_WEIGHTING, LOW_PASS], ids=["k-weighting", "butterworth"])
def test_matches_sosfilt_for_any_length(frames: int, sos: tuple[tuple[float, ...], ...]) -> None:
    samples = np.random.default_rng(frames).standard_normal((frames, 2)).astype(np.float32)
    expected = signal.sosfilt(np.array(sos), samples.astype(np.float64), axis=0)
    ours = sos_filter(sos, samples)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-11)


def test_channels_are_filtered_independently() -> None:
    left = np.random.default_rng(1).standard_normal(5000)
    both = sos_filter(_K_WEIGHTING, np.stack([left, np.zeros_like(left)], axis=1))
    assert np.all(both[:, 1] == 0.0)
    np.testing.assert_allclose(both[:, 0], sos_filter(_K_WEIGHTING, left[:, None])[:, 0])


def test_rejects_samples_without_channels() -> None:
    with pytest.raises(ValueError, match="frames, channels"):
        sos_filter(_K_WEIGHTING, np.zeros(10))
