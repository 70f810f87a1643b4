"""Synthesised drum grooves (no soundfont): kit sounds made from sweeps and filtered noise.

A third way of making labelled music, so the tempo scorer does not learn only what General MIDI
drum kits sound like: tempi per style as producers play them, swing and timing jitter, with
and without a bass line.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 48000
SECONDS = 20.0
COUNT = 160
SEED = 4_411_002
# Per style: tempo range and, per 16th step of a 4/4 bar, which voices play.
STYLES: dict[str, tuple[tuple[float, float], dict[str, list[int]]]] = {
    "backbeat": ((70, 140), {"kick": [0, 8], "snare": [4, 12], "hat": list(range(0, 16, 2))}),
    "backbeat16": ((75, 115), {"kick": [0, 7, 10], "snare": [4, 12], "hat": list(range(16))}),
    "four_floor": ((110, 180), {"kick": [0, 4, 8, 12], "snare": [4, 12], "hat": [2, 6, 10, 14]}),
    "trap": ((60, 80), {"kick": [0, 3, 10], "snare": [8], "hat": list(range(16))}),
    "dnb": ((160, 180), {"kick": [0, 10], "snare": [4, 12], "hat": list(range(0, 16, 2))}),
    "rock_fast": ((150, 200), {"kick": [0, 8], "snare": [4, 12], "hat": [0, 4, 8, 12]}),
    "shuffle": ((80, 130), {"kick": [0, 8], "snare": [4, 12], "hat": [0, 3, 4, 7, 8, 11, 12, 15]}),
}
# Triple and compound meters, after the 4/4 grooves: tempo range (of the labelled beat: the
# quarter in 3/4, the dotted quarter in 6/8), 16th steps a bar and a beat, and the pattern.
METER_COUNT = 40
METER_STYLES: dict[str, tuple[tuple[float, float], int, int, dict[str, list[int]]]] = {
    "waltz": ((60, 180), 12, 4, {"kick": [0], "snare": [4, 8], "hat": list(range(0, 12, 2))}),
    "waltz_quarters": ((80, 200), 12, 4, {"kick": [0], "snare": [4, 8], "hat": [0, 4, 8]}),
    "six_eight": ((45, 110), 12, 6, {"kick": [0], "snare": [6], "hat": list(range(0, 12, 2))}),
    "six_eight_rock": (
        (50, 100),
        12,
        6,
        {"kick": [0, 4], "snare": [6], "hat": [0, 2, 4, 6, 8, 10]},
    ),
}


@dataclass(frozen=True)
class Groove:
    """One synthesised clip and its label."""

    id: str
    style: str
    bpm: float
    audio: np.ndarray  # mono float32 at SAMPLE_RATE


def _kick(rng: random.Random) -> np.ndarray:
    t = np.arange(int(0.35 * SAMPLE_RATE)) / SAMPLE_RATE
    start = rng.uniform(90, 140)
    freq = 45 + start * np.exp(-t * rng.uniform(25, 45))
    return np.sin(2 * np.pi * np.cumsum(freq) / SAMPLE_RATE) * np.exp(-t * rng.uniform(7, 14))


def _noise(seconds: float, decay: float, bright: bool, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    noise = rng.standard_normal(n)
    if bright:
        noise = np.diff(noise, prepend=0.0)  # a first difference: mostly highs
    return noise * np.exp(-np.arange(n) / SAMPLE_RATE * decay)


def groove(index: int, seed: int = SEED) -> Groove:
    """The index-th groove of the set: style in turn, tempo, kit and feel drawn from the seed."""
    rng = random.Random(seed + index)
    nrng = np.random.default_rng(seed + index)
    if index < COUNT:
        style = sorted(STYLES)[index % len(STYLES)]
        (low, high), pattern = STYLES[style]
        bar_steps, beat_steps = 16, 4
    else:
        style = sorted(METER_STYLES)[(index - COUNT) % len(METER_STYLES)]
        (low, high), bar_steps, beat_steps, pattern = METER_STYLES[style]
    bpm = round(rng.uniform(low, high), 2)
    kick = _kick(rng)
    snare = 0.5 * _noise(0.2, rng.uniform(15, 30), False, nrng)
    snare += 0.3 * np.sin(2 * np.pi * rng.uniform(160, 240) * np.arange(snare.size) / SAMPLE_RATE)
    hat = 0.2 * _noise(0.05, rng.uniform(60, 120), True, nrng)
    voices = {"kick": kick, "snare": snare, "hat": hat}
    step = 60.0 / bpm / beat_steps
    swing = rng.choice([0.0, 0.0, 0.12, 0.2])
    jitter = rng.choice([0.0, 0.004, 0.008])
    out = np.zeros(int((SECONDS + 1) * SAMPLE_RATE))
    bass_on = rng.random() < 0.5
    bass_root = 40 + rng.randrange(12)
    for bar in range(int(SECONDS / (bar_steps * step)) + 1):
        for name, steps in pattern.items():
            for s in steps:
                at = (bar * bar_steps + s + (swing if s % 2 else 0.0)) * step
                at += rng.gauss(0, jitter)
                gain = rng.uniform(0.7, 1.0) * (1.0 if s % beat_steps == 0 else 0.75)
                _add(out, at, voices[name] * gain)
        if bass_on:
            f0 = 440 * 2 ** ((bass_root + rng.choice([0, 0, 5, 7, 3]) - 69) / 12)
            t = np.arange(int(bar_steps * step * SAMPLE_RATE)) / SAMPLE_RATE
            _add(out, bar * bar_steps * step, 0.3 * np.sin(2 * np.pi * f0 * t) * np.exp(-t * 1.5))
    audio = out[: int(SECONDS * SAMPLE_RATE)]
    audio = (0.5 * audio / max(float(np.abs(audio).max()), 1e-9)).astype(np.float32)
    return Groove(f"groove-{index:03d}-{style}", style, bpm, audio)


def _add(out: np.ndarray, at: float, sound: np.ndarray) -> None:
    start = round(at * SAMPLE_RATE)
    if 0 <= start < out.size:
        end = min(out.size, start + sound.size)
        out[start:end] += sound[: end - start]


def grooves(count: int = COUNT + METER_COUNT) -> list[Groove]:
    """The whole set (made in memory in about a second a clip; nothing is cached)."""
    return [groove(i) for i in range(count)]


def write_wavs(root: Path, count: int = COUNT + METER_COUNT) -> list[tuple[Path, Groove]]:
    """Write the set as 16-bit WAVs once (the feature cache keys on the path)."""
    import wave

    root.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        g = groove(i)
        path = root / f"{g.id}.wav"
        if not path.exists():
            with wave.open(str(path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(SAMPLE_RATE)
                w.writeframes((g.audio * 32767).astype("<i2").tobytes())
        out.append((path, g))
    return out
