"""Our BS.1770 meter against ffmpeg's ebur128 filter, and the gain plan."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from cratedig.media.decode import decode_pcm
from cratedig.media.loudness import (
    _TP_FILTER,
    Loudness,
    integrated_lufs,
    measure,
    plan_gain,
    true_peak_dbtp,
)
from tests.fixtures.media import ebur128, make_clip


@pytest.mark.parametrize(("sound", "volume"), [("groove", 0), ("noise", -6), ("tone", -20)])
def test_integrated_loudness_matches_ffmpeg(tmp_path: Path, sound: str, volume: float) -> None:
    clip = make_clip(tmp_path / f"{sound}.wav", 5.0, sound=sound, volume_db=volume)
    ours = measure(decode_pcm(clip, source_channels=2))
    theirs, _ = ebur128(clip)
    assert ours.integrated_lufs == pytest.approx(theirs, abs=0.2)


def test_silence_has_no_loudness_and_needs_no_gain() -> None:
    quiet = Loudness(integrated_lufs(np.zeros((48000, 2), np.float32)), -math.inf)
    assert quiet.integrated_lufs is None
    assert plan_gain(quiet, target_lufs=-16, max_true_peak_dbtp=-1.5).gain_db == 0.0


def test_true_peak_finds_the_peak_between_samples() -> None:
    # A quarter-rate sine sampled at 45 degrees: every sample sits 3 dB below the real crest.
    n = np.arange(48000)
    wave = (0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4)).astype(np.float32)
    stereo = np.stack([wave, wave], axis=1)
    sample_peak = 20 * math.log10(float(np.abs(wave).max()))
    assert sample_peak == pytest.approx(-9.03, abs=0.01)
    assert true_peak_dbtp(stereo) == pytest.approx(20 * math.log10(0.5), abs=0.3)


def test_gain_reaches_the_target_unless_the_peak_ceiling_binds() -> None:
    free = plan_gain(Loudness(-20.0, -10.0), target_lufs=-16, max_true_peak_dbtp=-1.5)
    assert (free.gain_db, free.limited_by_peak) == (4.0, False)
    capped = plan_gain(Loudness(-20.0, -3.0), target_lufs=-16, max_true_peak_dbtp=-1.5)
    assert (capped.gain_db, capped.limited_by_peak) == (1.5, True)
    assert capped.factor == pytest.approx(10 ** (1.5 / 20))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_true_peak_equals_oversampling_the_whole_signal(seed: int) -> None:
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((48000, 2)).astype(np.float32)
    # Sparse loud transients on a quieter bed, like a drum loop.
    noise[::4801] *= 6
    audio = (noise / np.abs(noise).max() * 0.8).astype(np.float32)
    oversampled = signal.upfirdn(_TP_FILTER, audio, up=4, axis=0)
    brute = 20 * math.log10(max(float(np.abs(oversampled).max()), float(np.abs(audio).max())))
    assert true_peak_dbtp(audio) == pytest.approx(brute, abs=1e-4)


def test_a_one_shot_shorter_than_a_gating_block_is_still_measured(tmp_path: Path) -> None:
    # A steady tone is as loud in a quarter second as in five.
    short = make_clip(tmp_path / "hit.wav", 0.25, sound="tone", volume_db=-20)
    long = make_clip(tmp_path / "long.wav", 5.0, sound="tone", volume_db=-20)
    expected = integrated_lufs(decode_pcm(long, source_channels=1))
    assert expected is not None
    assert integrated_lufs(decode_pcm(short, source_channels=1)) == pytest.approx(expected, abs=0.3)
