"""Chromagrams per register and the tempo scorer's harmonic-change signal."""

from __future__ import annotations

import numpy as np

from cratedig.media.chromagram import chromagrams
from cratedig.media.tempo import harmonic_change

RATE = 24000


def _tones(*freqs: float, seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.sum([np.sin(2 * np.pi * f * t) for f in freqs], axis=0).astype(np.float32)


def test_a_tone_lands_in_its_pitch_class_and_register() -> None:
    # Classes count semitones from A: A3 (220 Hz) is class 0, C5 (523 Hz) class 3.
    grams = chromagrams(_tones(220.0, 523.25), RATE)
    assert set(np.argsort(grams.full.sum(axis=0))[-2:]) == {0, 3}
    assert int(np.argmax(grams.bass.sum(axis=0))) == 0  # the C5 is above the bass register
    assert grams.bass.sum(axis=0)[3] < 0.01 * grams.bass.sum()
    assert np.all(np.diff(grams.centres) > 0)


def test_shorter_than_a_frame_has_no_frames() -> None:
    grams = chromagrams(np.zeros(100, dtype=np.float32), RATE)
    assert grams.full.shape == (0, 12) and grams.centres.size == 0


def test_harmony_changes_where_the_chord_does_and_not_in_noise() -> None:
    chord_a, chord_b = _tones(220.0, 277.18, 329.63), _tones(196.0, 246.94, 293.66)
    music = np.concatenate([chord_a, chord_b, chord_a])
    fps = RATE / 256
    frames = int(music.size / 256)
    change = harmonic_change(chromagrams(music, RATE), fps, frames)
    times = np.arange(frames) / fps
    near_changes = (np.abs(times - 2.0) < 0.3) | (np.abs(times - 4.0) < 0.3)
    assert change[near_changes].max() > 10 * change[~near_changes & (times > 0.5)].max()
    noise = np.random.default_rng(3).standard_normal(music.size).astype(np.float32)
    assert harmonic_change(chromagrams(noise, RATE), fps, frames).max() < 0.2 * change.max()
