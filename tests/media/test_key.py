"""Key detection on synthesised chord progressions and a rendered MIDI clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cratedig.media.analysis import analyze_pcm
from cratedig.media.decode import decode_pcm
from tests.fixtures.music import SR, chord_progression, render_labelled_clip, stereo, white_noise


@pytest.mark.parametrize(
    ("key", "scale"),
    [
        ("C", "major"),
        ("A", "minor"),
        ("F#", "major"),
        ("Eb", "minor"),
        ("Bb", "major"),
        ("E", "minor"),
    ],
)
def test_chord_progression_key(key: str, scale: str) -> None:
    result = analyze_pcm(stereo(chord_progression(key, scale, seconds=10.0)), SR)
    assert (result.key, result.scale) == (key, scale)
    assert result.key_confidence > 0.3


def test_key_candidates_start_with_the_key_and_are_distinct() -> None:
    result = analyze_pcm(stereo(chord_progression("A", "minor", seconds=10.0)), SR)
    readings = result.key_candidates
    assert 2 <= len(readings) <= 3
    first = readings[0]
    assert (first.key, first.scale, first.confidence) == ("A", "minor", result.key_confidence)
    assert len({(r.key, r.scale) for r in readings}) == len(readings)
    confidences = [r.confidence for r in readings]
    assert confidences == sorted(confidences, reverse=True) and confidences[-1] > 0


def test_relative_keys_are_told_apart() -> None:
    # C major and A minor share every note of the scale; bass and harmony decide.
    major = analyze_pcm(chord_progression("C", "major", seconds=10.0), SR)
    minor = analyze_pcm(chord_progression("A", "minor", seconds=10.0), SR)
    assert (major.key, major.scale, minor.key, minor.scale) == ("C", "major", "A", "minor")


def test_detuned_recording_still_finds_the_key() -> None:
    # A quarter-semitone sharp: resampling the signal shifts every pitch by 25 cents.
    clip = chord_progression("D", "major", seconds=10.0)
    ratio = 2 ** (0.25 / 12)
    sharp = np.interp(np.arange(0, clip.size - 1, ratio), np.arange(clip.size), clip)
    result = analyze_pcm(sharp.astype(np.float32), SR)
    assert (result.key, result.scale) == ("D", "major")


def test_silence_has_no_key() -> None:
    result = analyze_pcm(np.zeros((SR * 5, 2), np.float32), SR)
    assert (result.key, result.scale, result.key_confidence) == (None, None, 0.0)


def test_noise_has_no_key() -> None:
    result = analyze_pcm(white_noise(8.0), SR)
    assert result.key is None and result.key_candidates == ()
    assert result.key_confidence < 0.25


def test_single_tone_has_no_key() -> None:
    t = np.arange(SR * 6) / SR
    result = analyze_pcm((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SR)
    assert result.key is None


def test_rendered_ballad_clip(tmp_path: Path) -> None:
    # Seed 1 plays i-iv-V-i. (Aeolian loops such as i-VI-III-VII are the relative major's
    # vi-IV-I-V too, so 10 s of one is honestly ambiguous and makes a poor unit test.)
    label = render_labelled_clip(
        tmp_path / "ballad.mp3",
        style="ballad",
        bpm=76,
        key="G",
        scale="minor",
        seconds=10.0,
        seed=1,
    )
    result = analyze_pcm(decode_pcm(tmp_path / label.file), 48000)
    assert (result.key, result.scale) == (label.key, label.scale)


def _harmonic_tone(midi: int, seconds: float, partials: int = 6) -> np.ndarray:
    """A bright tone: the fundamental and its next harmonics at 1/h amplitude."""
    t = np.arange(int(SR * seconds)) / SR
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    return sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, partials + 1))


@pytest.mark.parametrize("triad", [(48, 52, 55), (57, 60, 64)])
def test_harmonic_sum_lifts_a_chords_root(triad: tuple[int, int, int]) -> None:
    # The third and fifth of a triad sit where its root's 5th and 3rd harmonics would: the
    # root gathers their energy and gains on both (C major, A minor).
    from cratedig.media.key import LOW_PITCH, harmonic_sum, pitch_energy

    audio = sum(_harmonic_tone(m, 4.0) for m in triad)
    energy, _ = pitch_energy(np.asarray(audio, dtype=np.float32), SR)
    pitch_class = (np.arange(energy.shape[1]) + LOW_PITCH) % 12

    def share(e: np.ndarray, note: int) -> float:
        per_pitch = e.sum(axis=0)
        return float(per_pitch[pitch_class == note % 12].sum() / per_pitch.sum())

    summed = harmonic_sum(energy)
    root, third, fifth = triad
    for other in (third, fifth):
        raw_ratio = share(energy, root) / share(energy, other)
        assert share(summed, root) / share(summed, other) > 1.03 * raw_ratio


def test_minor_bias_moves_only_minor_scores() -> None:
    from cratedig.media.key import chroma, key_scores

    ch = chroma(chord_progression("A", "minor", seconds=6.0), SR)
    plain = key_scores(ch, minor_bias=0.0)
    biased = key_scores(ch, minor_bias=0.1)
    assert np.allclose(plain[0], biased[0])
    assert np.all(biased[1] > plain[1])


def test_key_holds_with_a_voice_like_glide_over_the_chords() -> None:
    # Talking over music: a harmonic-rich tone gliding through pitches (as a voice's pitch
    # does) at the chords' loudness must not move the key.
    music = chord_progression("E", "minor", seconds=10.0).astype(np.float64)
    t = np.arange(music.size) / SR
    f0 = 150 * 2 ** (np.sin(2 * np.pi * 0.7 * t) * 0.4)  # a wandering 150 Hz voice
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voice = sum(np.sin(h * phase) / h for h in range(1, 9))
    voice *= np.sqrt(np.mean(music**2) / np.mean(voice**2))
    result = analyze_pcm((music + voice).astype(np.float32), SR)
    assert (result.key, result.scale) == ("E", "minor")


def test_sustained_keeps_held_notes_and_cuts_one_frame_pitches() -> None:
    # A voice's glide touches a pitch for one frame; a played note holds it for several.
    from cratedig.media.key import sustained

    energy = np.zeros((6, 3))
    energy[1:5, 0] = 1.0  # held for four frames
    energy[2, 1] = 4.0  # one loud frame only
    energy[3:5, 2] = (1.0, 0.25)  # two frames, the second quieter
    out = sustained(energy)
    assert np.allclose(out[1:5, 0], 1.0)
    assert np.all(out[:, 1] == 0.0)
    assert np.allclose(out[3:5, 2], (0.5, 0.5))  # each the geometric mean with the other
