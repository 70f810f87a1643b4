"""Beat tracking on generated grooves at known tempi: beats within 20 ms of the truth."""

from __future__ import annotations

import numpy as np
import pytest

from cratedig.media.analysis import analyze_pcm
from cratedig.media.beats import extend_to_end, extend_to_start, track_beats
from cratedig.media.tempo import onset_envelopes
from tests.fixtures.music import (
    SR,
    bar_music,
    click_track,
    drum_groove,
    jig_melody,
    stereo,
    sustained_chorale,
    white_noise,
)

TOLERANCE = 0.02


def off_grid(beats: np.ndarray, bpm: float) -> np.ndarray:
    """Each beat's distance (s) to the nearest true beat of a grid starting at 0."""
    period = 60.0 / bpm
    return np.asarray(np.abs(beats - np.rint(beats / period) * period))


@pytest.mark.parametrize("bpm", [84.0, 100.0, 128.0, 150.0, 174.0])
def test_groove_beats_land_on_the_grid(bpm: float) -> None:
    groove = drum_groove(bpm, seconds=15.0)
    beats = track_beats(onset_envelopes(groove, SR), bpm)
    assert off_grid(beats, bpm).max() <= TOLERANCE
    # Every beat after the first is found once: none skipped, none doubled.
    period = 60.0 / bpm
    assert np.allclose(np.diff(beats), period, atol=2 * TOLERANCE)
    assert beats[0] <= period + TOLERANCE and beats[-1] >= 15.0 - 2 * period


def test_the_beats_follow_the_clicks_not_the_clip_start() -> None:
    # Clicks from 0.3 s on: the grid is the clicks', wherever the clip begins.
    clicks = np.concatenate([np.zeros(int(0.3 * SR), np.float32), click_track(96.0, 12.0)])
    beats = track_beats(onset_envelopes(clicks, SR), 96.0)
    assert off_grid(beats - 0.3, 96.0).max() <= TOLERANCE
    assert beats.size >= 17
    # Silence before the first click: the grid is not carried back into it.
    assert extend_to_start(beats, 96.0, clicks, SR)[0] >= 0.3 - TOLERANCE


def test_a_beat_on_the_first_sample_is_found() -> None:
    # The envelope has no frame for t=0; a clip that sounds there gets its grid carried back.
    found = analyze_pcm(stereo(bar_music(120.0, 4)), SR)
    assert found.beats[0] <= TOLERANCE and found.downbeats[0] <= TOLERANCE


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_unaccented_jig_gets_its_beat_from_the_long_notes(seed: int) -> None:
    # Equal loudness throughout: the beat is where the quarter of each long-short pair starts,
    # not a third or two thirds of a beat later.
    bpm = 110.0
    beats = track_beats(onset_envelopes(jig_melody(bpm, seed=seed), SR), bpm)
    assert beats.size >= 20
    assert np.median(off_grid(beats, bpm)) <= TOLERANCE


def test_played_in_timing_is_followed() -> None:
    # A drummer drifting from 118 to 122 BPM: a fixed grid would end a quarter beat off.
    rng = np.random.default_rng(1)
    times = np.cumsum(60.0 / np.linspace(118.0, 122.0, 40)) + rng.normal(0.0, 0.005, 40)
    hit = drum_groove(120.0, seconds=0.25)[: int(0.2 * SR)]
    out = np.zeros(int((times[-1] + 1.0) * SR), np.float32)
    for t in times:
        start = int(t * SR)
        out[start : start + hit.size] += hit
    beats = track_beats(onset_envelopes(out, SR), 120.0)
    nearest = np.abs(beats[:, None] - times[None, :]).min(axis=1)
    assert nearest.max() <= TOLERANCE
    assert beats.size >= 38


def test_the_analysis_gives_beats_downbeats_and_meter() -> None:
    found = analyze_pcm(stereo(bar_music(120.0, 4)), SR)
    assert found.bpm == pytest.approx(120.0, rel=0.04)
    assert found.beats_per_bar == 4
    assert set(found.downbeats) <= set(found.beats)
    # Stored with millisecond precision.
    assert all(round(t, 3) == t for t in found.beats)
    assert off_grid(np.asarray(found.beats), 120.0).max() <= TOLERANCE


def test_nothing_without_a_pulse() -> None:
    found = analyze_pcm(stereo(white_noise()), SR)
    assert found.bpm is None
    assert (found.beats, found.downbeats, found.beats_per_bar, found.loops) == ((), (), None, ())


def test_the_grid_runs_on_through_a_held_final_chord() -> None:
    # Clicks, then a chord held to the clip's end: no onsets there, but the beats go on.
    clicks = click_track(100.0, 8.0)
    held = 0.3 * sustained_chorale(25.0, seconds=2.4)  # one chord, far longer than a beat
    clip = np.concatenate([clicks, held])
    beats = track_beats(onset_envelopes(clip, SR), 100.0)
    carried = extend_to_end(beats, 100.0, clip, SR)
    assert carried[-1] >= clip.size / SR - 0.6 - TOLERANCE
    assert off_grid(carried, 100.0).max() <= TOLERANCE


def test_the_grid_stops_where_the_clip_falls_silent() -> None:
    clip = np.concatenate([click_track(100.0, 8.0), np.zeros(3 * SR, np.float32)])
    beats = track_beats(onset_envelopes(clip, SR), 100.0)
    assert extend_to_end(beats, 100.0, clip, SR)[-1] <= 8.0 + TOLERANCE
