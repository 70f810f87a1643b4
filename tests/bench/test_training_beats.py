"""The beat measurement's pieces: matched offsets and the phase of missed beats."""

from __future__ import annotations

import pytest

from bench.training.beats import labelled_meter, matched_offsets, phase_counts

GRID = [0.5 * k for k in range(30)]  # 120 BPM, 15 s


def test_offsets_are_signed_and_only_within_the_window() -> None:
    late = tuple(t + 0.02 for t in GRID)
    offsets = matched_offsets(GRID, late)
    # Beats before 5 s are not scored; the rest are all 20 ms late.
    assert len(offsets) == len([t for t in GRID if t >= 5.0])
    assert offsets == pytest.approx([0.02] * len(offsets))
    # An off-beat grid matches nothing: no offsets to average.
    assert matched_offsets(GRID, tuple(t + 0.25 for t in GRID)) == []


def test_phases_tell_off_beat_from_third_and_quarter_beat_misses() -> None:
    assert phase_counts(GRID, tuple(GRID))["on"] == 20
    assert phase_counts(GRID, tuple(t + 0.25 for t in GRID[:-1]))["half"] == 19
    assert phase_counts(GRID, tuple(t + 0.5 / 3 for t in GRID[:-1]))["third"] == 19
    quarter = phase_counts(GRID, tuple(t + 0.125 for t in GRID[:-1]))
    assert quarter["quarter"] == 19 and quarter["on"] == 0
    assert phase_counts(GRID, tuple(t + 0.06 for t in GRID[:-1]))["other"] == 19


def test_labelled_meter_counts_the_beats_between_downbeats() -> None:
    beats = [0.5 * i for i in range(24)]
    assert labelled_meter(beats, beats[::4]) == 4
    assert labelled_meter(beats, beats[::2]) == 2
    # A 6/8 bar labelled at the dotted quarter: two beats a bar, with a pickup beat first.
    assert labelled_meter(beats, beats[1::2]) == 2
    assert labelled_meter(beats, [0.0]) is None
