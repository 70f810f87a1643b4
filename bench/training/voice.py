"""Synthetic voice-overs (espeak-ng) to mix over training clips: talking over music is common
in short videos, and the key estimator's settings are chosen with and without a voice."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from functools import cache
from pathlib import Path

import numpy as np

from bench.training.data import LabelledClip, mono_pcm
from bench.training.room import in_training_room

VOICE_ROOT = Path(".cache/training/voices")
TEXT = (
    "Hey everyone, welcome back to the channel. Today I want to show you something really"
    " cool that I found last week while I was walking around the city. Honestly I did not"
    " expect it to work this well, so stick around until the end, and let me know what you"
    " think in the comments below. Don't forget to like and subscribe for more videos."
)
# espeak-ng voice, words a minute, pitch (0-99): men's and women's voices at several speeds.
VOICES = (
    ("en", 148, 38),
    ("en-us+f3", 156, 46),
    ("en-gb+m3", 164, 54),
    ("en-us+f2", 172, 62),
    ("en+m5", 180, 70),
    ("en-us", 188, 78),
)


@cache  # one decode per process: every voiced clip asks for them
def voices() -> list[np.ndarray]:
    """The voice-overs as 48 kHz mono float32, or [] when espeak-ng is not installed."""
    if shutil.which("espeak-ng") is None:
        return []
    VOICE_ROOT.mkdir(parents=True, exist_ok=True)
    out = []
    for k, (voice, speed, pitch) in enumerate(VOICES):
        wav = VOICE_ROOT / f"voice-{k}.wav"
        if not wav.exists():
            # fmt: off
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav),
                 TEXT],
                check=True, capture_output=True,
            )
            # fmt: on
        out.append(mono_pcm(wav))
    return out


def mix_voice(music: np.ndarray, voice: np.ndarray, gain_db: float) -> np.ndarray:
    """The music with the voice looped over it, `gain_db` relative to the music's RMS."""
    voice = np.resize(voice, music.size)
    rms_music = float(np.sqrt(np.mean(music.astype(np.float64) ** 2))) + 1e-9
    rms_voice = float(np.sqrt(np.mean(voice.astype(np.float64) ** 2))) + 1e-9
    scale = rms_music / rms_voice * 10 ** (gain_db / 20)
    return np.asarray(music + scale * voice, dtype=np.float32)


def heard(path: Path, voice: int, gain_db: float, room: int = -1) -> np.ndarray:
    """A clip as the analysis hears it (`data.mono_pcm`), in training room `room` (-1: dry),
    with voice-over `voice` (an index into `voices()`; -1: none) mixed in at `gain_db`."""
    audio = mono_pcm(path)
    if room >= 0:
        audio = in_training_room(audio, room)
    return audio if voice < 0 else mix_voice(audio, voices()[voice], gain_db)


def heard_clip(item: LabelledClip) -> np.ndarray:
    """A labelled clip as the analysis hears it, in its room and with its voice-over."""
    return heard(item.path, item.voice, item.voice_db, item.room)


def with_voices(items: list[LabelledClip], gains_db: tuple[float, ...]) -> list[LabelledClip]:
    """Each clip again with a voice-over, the voices and the levels (dB against the music)
    taken in turn."""
    spoken = voices()
    if not spoken:
        raise SystemExit("espeak-ng is needed for the voice-over copies")
    return [
        dataclasses.replace(item, voice=k % len(spoken), voice_db=gains_db[k % len(gains_db)])
        for k, item in enumerate(items)
    ]
