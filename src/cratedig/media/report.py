"""The analysis.json document, and `analyze`: the same fields for a file as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cratedig import __version__
from cratedig.media import loudness
from cratedig.media.analysis import Analysis, analysis_fields, analyze_pcm
from cratedig.media.children import ChildLimits
from cratedig.media.ffmpeg import DEFAULT_LIMITS
from cratedig.media.source import SAMPLE_RATE, load_audio


def analysis_report(
    found: Analysis,
    frames: int,
    channels: int,
    measured: loudness.Loudness,
    gain: loudness.GainPlan,
) -> dict[str, Any]:
    """analysis.json for audio of `frames` x `channels` measured as `measured`, then gained."""
    source_lufs = measured.integrated_lufs
    return {
        "duration_seconds": round(frames / SAMPLE_RATE, 3),
        **analysis_fields(found),
        "loudness_lufs": None if source_lufs is None else round(source_lufs + gain.gain_db, 2),
        "true_peak_dbtp": _db(measured.true_peak_dbtp + gain.gain_db),
        "source_loudness_lufs": None if source_lufs is None else round(source_lufs, 2),
        "gain_db": round(gain.gain_db, 2),
        "gain_limited_by_true_peak": gain.limited_by_peak,
        "sample_rate": SAMPLE_RATE,
        "channels": channels,
        "toolkit_version": __version__,
    }


def analyze_file(
    path: Path, max_duration_seconds: float = 600.0, limits: ChildLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """The analysis.json fields for a file as it is (no loudness gain applied)."""
    _, samples = load_audio(path, max_duration_seconds, limits)
    measured = loudness.measure(samples, SAMPLE_RATE)
    found = analyze_pcm(samples, SAMPLE_RATE)
    no_gain = loudness.GainPlan(0.0, False)
    return analysis_report(found, samples.shape[0], samples.shape[1], measured, no_gain)


def _db(value: float) -> float | None:
    return None if not np.isfinite(value) else round(value, 2)
