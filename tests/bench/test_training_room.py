"""The rooms that training and the evaluation hear clips in: reverb tails and loud mastering."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bench.evaluation.clips import Clip
from bench.training.data import SAMPLE_RATE, LabelledClip
from bench.training.room import (
    EVALUATION_ROOMS,
    TRAINING_ROOMS,
    Room,
    in_evaluation_room,
    in_training_room,
    room_tag,
    with_rooms,
)

Hear = Callable[[np.ndarray, int], np.ndarray]
ROOMS = [(in_training_room, k, TRAINING_ROOMS[k]) for k in range(len(TRAINING_ROOMS))] + [
    (in_evaluation_room, k, EVALUATION_ROOMS[k]) for k in range(len(EVALUATION_ROOMS))
]


def _click_track(seconds: float = 6.0) -> np.ndarray:
    """A 1 kHz burst of 20 ms at 1 s, silence elsewhere."""
    audio = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
    n = int(0.02 * SAMPLE_RATE)
    audio[SAMPLE_RATE : SAMPLE_RATE + n] = np.sin(2 * np.pi * 1000 * np.arange(n) / SAMPLE_RATE)
    return audio


def _level_db(audio: np.ndarray, start: float, seconds: float = 0.1) -> float:
    part = audio[int(start * SAMPLE_RATE) : int((start + seconds) * SAMPLE_RATE)]
    return float(10 * np.log10(np.mean(part.astype(np.float64) ** 2) + 1e-30))


@pytest.mark.parametrize(("hear", "index", "room"), ROOMS)
def test_a_click_rings_on_and_dies_away_over_the_rooms_decay_time(
    hear: Hear, index: int, room: Room
) -> None:
    heard = hear(_click_track(), index)
    assert heard.shape == (6 * SAMPLE_RATE,) and heard.dtype == np.float32
    assert float(np.abs(heard).max()) == pytest.approx(0.9, abs=1e-3)
    # Nothing before the click; a tail after it that falls by tens of dB over the decay time.
    assert _level_db(heard, 0.5) < -200
    early = _level_db(heard, 1.05 + 0.1 * room.rt60)
    late = _level_db(heard, 1.05 + 0.9 * room.rt60)
    assert early > -60
    assert 25 < early - late < 70


def test_rooms_are_the_same_every_time() -> None:
    music = np.random.default_rng(3).standard_normal(SAMPLE_RATE * 2).astype(np.float32)
    assert np.array_equal(in_training_room(music, 2), in_training_room(music, 2))
    assert np.array_equal(in_evaluation_room(music, 1), in_evaluation_room(music, 1))


@pytest.mark.parametrize(
    ("hear", "index"),
    [(in_training_room, 1), (in_evaluation_room, 0)],  # both mastered loud
)
def test_a_loud_master_squeezes_the_peaks_towards_the_body(hear: Hear, index: int) -> None:
    t = np.arange(SAMPLE_RATE * 3) / SAMPLE_RATE
    # Quiet tone with loud 50 ms accents every half second: a high crest factor.
    music = 0.05 * np.sin(2 * np.pi * 220 * t)
    music[(t % 0.5) < 0.05] *= 12.0
    heard = hear(music.astype(np.float32), index)

    def crest(x: np.ndarray) -> float:
        return float(np.abs(x).max() / np.sqrt(np.mean(x.astype(np.float64) ** 2)))

    assert crest(heard) < 0.85 * crest(music)


def test_clips_are_put_in_the_training_rooms_in_turn() -> None:
    clip = Clip("x", "g", "x.wav", 120.0, "render tempo", None, None, [], [])
    items = [LabelledClip(clip, Path("x.wav"), "generated") for _ in range(8)]
    rooms = with_rooms(items)
    assert [i.room for i in rooms] == [k % len(TRAINING_ROOMS) for k in range(8)]
    assert rooms[0].heard_as == "generated +room"
    assert items[0].heard_as == "generated"


def test_a_feature_cache_key_names_the_rooms_settings() -> None:
    assert room_tag(-1) == ""
    tags = {room_tag(k) for k in range(len(TRAINING_ROOMS))}
    assert len(tags) == len(TRAINING_ROOMS)
    assert str(TRAINING_ROOMS[2].rt60) in room_tag(2)
