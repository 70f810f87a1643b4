"""The key trainer's pieces: its grid, its objective and the voice-over mix."""

from __future__ import annotations

import numpy as np

from bench.training import key as trainer
from bench.training.voice import mix_voice
from cratedig.media import key


def test_the_shipped_and_previous_settings_are_on_the_grid() -> None:
    grid = trainer.settings_grid()
    shipped = {
        "compression": key.FRAME_COMPRESSION,
        "harmonic_decay": key.HARMONIC_DECAY,
        "bass_weight": key.BASS_WEIGHT,
        "minor_bias": key.MINOR_BIAS,
    }
    assert shipped in grid and trainer.PREVIOUS in grid
    assert len(grid) == len({tuple(s.values()) for s in grid})


def test_objective_weighs_the_two_families_equally() -> None:
    # Three generated clips all right, one score wrong: 50, not 75.
    table = np.array([[[1.0, 1.0, 1.0, 0.0]]])
    families = np.array(["generated", "generated", "generated", "scores"])
    everything = np.ones(4, dtype=bool)
    assert trainer.objective(table, everything, families)[0] == 0.5
    only_generated = np.array([True, True, False, False])
    assert trainer.objective(table, only_generated, families)[0] == 1.0


def test_family_of_each_source() -> None:
    assert trainer.family("train-generated") == trainer.family("generated") == "generated"
    assert trainer.family("music21") == trainer.family("debian") == "scores"


def test_voice_is_mixed_at_the_asked_level_and_looped() -> None:
    rng = np.random.default_rng(0)
    music = rng.standard_normal(48000).astype(np.float32)
    voice = 3.0 * rng.standard_normal(1000).astype(np.float32)  # shorter: looped over
    mixed = mix_voice(music, voice, -6.0)
    added = mixed - music
    assert mixed.shape == music.shape and mixed.dtype == np.float32
    ratio_db = 20 * np.log10(np.sqrt(np.mean(added**2)) / np.sqrt(np.mean(music**2)))
    assert abs(ratio_db + 6.0) < 0.01
