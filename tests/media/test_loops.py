"""Loop points: whole bars from a downbeat, the lengths the tempo gives, cut where it joins."""

from __future__ import annotations

import numpy as np
import pytest

from cratedig.media.analysis import analyze_pcm
from cratedig.media.loops import Loop, find_loops
from tests.fixtures.music import SR, bar_music, drum_groove, stereo


@pytest.mark.parametrize(("bpm", "beats_per_bar"), [(120.0, 4), (150.0, 3)])
def test_loops_have_the_bar_lengths_and_start_on_downbeats(bpm: float, beats_per_bar: int) -> None:
    seconds = 16.0
    found = analyze_pcm(stereo(bar_music(bpm, beats_per_bar, seconds)), SR)
    assert found.bpm is not None and found.beats_per_bar == beats_per_bar
    bar = beats_per_bar * 60.0 / found.bpm
    # A loop may end up to 2 ms past the clip (a rounding of the bar length), cut at its end.
    fits = [n for n in (1, 2, 4, 8) if any(d + n * bar <= seconds + 0.002 for d in found.downbeats)]
    assert [loop.bars for loop in found.loops] == fits
    assert {1, 2, 4} <= set(fits)
    for loop in found.loops:
        assert loop.start in found.downbeats
        assert loop.end - loop.start == pytest.approx(loop.bars * bar, abs=0.002)
        assert loop.end <= seconds


def test_the_loop_avoids_a_cut_across_a_change_of_sound() -> None:
    # Drums throughout; from bar 3 on a loud organ chord too. A 2-bar loop that starts
    # without the organ and ends with it would jump audibly: it starts at bar 3 or later.
    bpm, bar = 120.0, 2.0
    drums = drum_groove(bpm, seconds=16.0).astype(np.float64)
    t = np.arange(drums.size) / SR
    organ = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) * (t >= 3 * bar)
    mono = (0.5 * drums + 0.15 * organ).astype(np.float32)
    downbeats = np.arange(0.0, 16.0, bar)
    loops = find_loops(mono, SR, downbeats, 4, bpm)
    two = next(loop for loop in loops if loop.bars == 2)
    assert two.start >= 3 * bar
    assert [loop.bars for loop in loops] == [1, 2, 4, 8]
    assert loops[-1] == Loop(8, 0.0, 16.0)  # the only 8 bars there are


def test_no_loop_longer_than_the_clip() -> None:
    downbeats = np.array([0.5, 2.5])
    loops = find_loops(np.zeros(4 * SR, np.float32) + 0.01, SR, downbeats, 4, 120.0)
    assert loops == (Loop(1, 0.5, 2.5),)
