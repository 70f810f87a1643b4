"""Analyse one file without writing anything: tempo, key, duration and loudness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cratedig.media import loudness
from cratedig.media.process import SAMPLE_RATE, analysis_report, load_audio


def analyze_file(path: Path, max_duration_seconds: float = 600.0) -> dict[str, Any]:
    """The analysis.json fields for a file as it is (no loudness gain applied)."""
    _, samples = load_audio(path, max_duration_seconds)
    measured = loudness.measure(samples, SAMPLE_RATE)
    return analysis_report(samples, measured, loudness.GainPlan(0.0, False))
