"""Beats, bars and loop points of a clip at a known tempo, from its onset envelopes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cratedig.media.beats import extend_to_end, extend_to_start, track_beats
from cratedig.media.loops import Loop, find_loops
from cratedig.media.meter import find_bars
from cratedig.media.tempo import Envelopes

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Rhythm:
    """Beat and downbeat times in seconds (ms precision), the meter and the best loops."""

    beats: tuple[float, ...] = ()
    downbeats: tuple[float, ...] = ()
    beats_per_bar: int | None = None
    loops: tuple[Loop, ...] = ()


NO_RHYTHM = Rhythm()


def analyze_rhythm(mono: F32, sample_rate: int, env: Envelopes, bpm: float | None) -> Rhythm:
    """Track the beats at `bpm`, find the bars and the loops; nothing without a tempo."""
    if bpm is None:
        return NO_RHYTHM
    beats = extend_to_start(track_beats(env, bpm), bpm, mono, sample_rate)
    beats = extend_to_end(beats, bpm, mono, sample_rate)
    bars = find_bars(mono, sample_rate, env, beats)
    if bars is None:
        return Rhythm(beats=_ms(beats))
    downbeats = beats[bars.downbeat_indices]
    loops = find_loops(mono, sample_rate, downbeats, bars.beats_per_bar, bpm)
    return Rhythm(_ms(beats), _ms(downbeats), bars.beats_per_bar, loops)


def _ms(times: npt.NDArray[np.float64]) -> tuple[float, ...]:
    return tuple(round(float(t), 3) for t in times)
