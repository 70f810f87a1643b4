"""Meter and downbeats: 3/4 against 4/4, and the bar's first beat where the chords change."""

from __future__ import annotations

import numpy as np
import pytest

from cratedig.media.analysis import analyze_pcm
from cratedig.media.rhythm import analyze_rhythm
from cratedig.media.tempo import onset_envelopes
from tests.fixtures.music import SR, bar_music, drum_groove, stereo

TOLERANCE = 0.02


@pytest.mark.parametrize(
    ("bpm", "beats_per_bar"), [(96.0, 3), (150.0, 3), (90.0, 4), (128.0, 4), (75.0, 3)]
)
def test_meter_and_downbeats(bpm: float, beats_per_bar: int) -> None:
    found = analyze_pcm(stereo(bar_music(bpm, beats_per_bar)), SR)
    assert found.bpm == pytest.approx(bpm, rel=0.04)
    assert found.beats_per_bar == beats_per_bar
    bar = beats_per_bar * 60.0 / bpm
    downbeats = np.asarray(found.downbeats)
    # Every downbeat on a bar line (the music's bars start at 0), one a bar.
    assert np.abs(downbeats - np.rint(downbeats / bar) * bar).max() <= TOLERANCE
    assert np.allclose(np.diff(downbeats), bar, atol=2 * TOLERANCE)
    assert downbeats.size >= int(16.0 / bar) - 1


def test_too_few_beats_to_tell_read_as_four() -> None:
    # Six or seven beats cannot show whether bars repeat every 3 or 4 beats: the common 4.
    found = analyze_pcm(stereo(drum_groove(120.0, seconds=3.5)), SR)
    assert 4 <= len(found.beats) < 9
    assert found.beats_per_bar == 4


def _even_chords(bpm: float, beats_per_bar: int, seconds: float = 16.0) -> np.ndarray:
    """A chord struck on every beat at one level, the harmony and bass moving only at the bar:
    a score render with no accents, whose bars show only in what changes."""
    from tests.fixtures.music import _note

    bars = ((48, 64, 67, 72), (45, 64, 69, 72), (41, 65, 69, 72), (43, 62, 67, 71))
    beat = 60.0 / bpm
    out = np.zeros(int(seconds * SR))
    for i in range(int(seconds / beat)):
        chord = bars[(i // beats_per_bar) % len(bars)]
        start = int(i * beat * SR)
        for midi in chord:
            tone = _note(midi, beat)
            out[start : start + tone.size] += tone[: out.size - start] * 0.2
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


@pytest.mark.parametrize(("bpm", "beats_per_bar"), [(100.0, 4), (90.0, 3)])
def test_unaccented_bars_start_where_the_harmony_changes(bpm: float, beats_per_bar: int) -> None:
    music = _even_chords(bpm, beats_per_bar)
    # One chord a beat and nothing else: whether a strike is the beat or half of it is the
    # listener's call, so the played tempo must be offered, as the reading or its alternative.
    readings = [r.bpm for r in analyze_pcm(stereo(music), SR).bpm_candidates]
    assert any(r == pytest.approx(bpm, rel=0.04) for r in readings), readings
    # At the played tempo, the bars start where the harmony changes.
    found = analyze_rhythm(music, SR, onset_envelopes(music, SR), bpm)
    assert found.beats_per_bar == beats_per_bar
    bar = beats_per_bar * 60.0 / bpm
    downbeats = np.asarray(found.downbeats)
    assert np.abs(downbeats - np.rint(downbeats / bar) * bar).max() <= TOLERANCE
