"""The block-at-a-time audio code gives what one pass over the whole clip gives."""

from __future__ import annotations

import math
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from cratedig.media.decode import decode_pcm
from cratedig.media.loudness import _K_WEIGHTING, _TP_FILTER, integrated_lufs, true_peak_dbtp
from tests.fixtures.media import make_clip

# Past several 5 s filter chunks and 65,536-frame true-peak chunks, ending mid-chunk.
FRAMES = 48000 * 12 + 4321


def _clip() -> np.ndarray:
    rng = np.random.default_rng(7)
    t = np.arange(FRAMES) / 48000
    loud = 0.3 * np.sin(2 * np.pi * 997 * t) * (1 + np.sin(2 * np.pi * 0.3 * t))
    samples = np.stack([loud, 0.05 * rng.standard_normal(FRAMES)], axis=1).astype(np.float32)
    samples[65_530:65_540] = 0.97  # a peak across a true-peak chunk boundary
    return samples


def _whole_clip_lufs(samples: np.ndarray) -> float:
    weighted = signal.sosfilt(np.array(_K_WEIGHTING), samples.astype(np.float64), axis=0)
    cumulative = np.concatenate([[0.0], np.cumsum(np.square(weighted).sum(axis=1))])
    starts = np.arange(0, FRAMES - 19200 + 1, 4800)
    power = (cumulative[starts + 19200] - cumulative[starts]) / 19200
    power = power[-0.691 + 10 * np.log10(power) > -70]
    gate = -0.691 + 10 * math.log10(power.mean()) - 10
    return -0.691 + 10 * math.log10(power[-0.691 + 10 * np.log10(power) > gate].mean())


def test_integrated_loudness_in_chunks_equals_one_pass() -> None:
    samples = _clip()
    assert integrated_lufs(samples) == pytest.approx(_whole_clip_lufs(samples), abs=1e-9)


def test_true_peak_in_chunks_equals_oversampling_everything() -> None:
    samples = _clip()
    upsampled = np.zeros((FRAMES * 4, 2))
    upsampled[::4] = samples
    peak = max(np.abs(np.convolve(upsampled[:, c], _TP_FILTER)).max() for c in range(2))
    assert true_peak_dbtp(samples) == pytest.approx(20 * math.log10(peak), abs=1e-4)


def test_decoding_grows_its_buffer_when_the_probed_length_was_short(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.wav", 3.0)
    honest = decode_pcm(clip, expected_seconds=3.0)
    lied_to = decode_pcm(clip, expected_seconds=0.01)
    assert honest.shape == lied_to.shape == (144000, 2)
    assert np.array_equal(honest, lied_to)


def _traced_peak(job: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        job()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("work", "allowed"),
    # Per byte of clip before blocks: 10 for loudness, 6 for the analysis, 4 for the WAV.
    [("loudness", 0.2), ("analysis", 2.0), ("wav", 0.2)],
)
def test_memory_grows_with_the_clip_only_as_much_as_kept_copies(
    tmp_path: Path, work: str, allowed: float
) -> None:
    from cratedig.media.analysis import analyze_pcm
    from cratedig.media.loudness import measure
    from cratedig.media.wav import write_wav24

    def job(samples: np.ndarray) -> Callable[[], object]:
        return {
            "loudness": lambda: measure(samples),
            "analysis": lambda: analyze_pcm(samples, 48000),
            "wav": lambda: write_wav24(tmp_path / "a.wav", samples, 48000),
        }[work]

    short, long = np.tile(_clip(), (3, 1)), np.tile(_clip(), (9, 1))
    growth = _traced_peak(job(long)) - _traced_peak(job(short))
    assert growth <= allowed * (long.nbytes - short.nbytes)
