"""The project's generator widened: 60-200 BPM, 3/4 and 6/8, swing, half-time, drumless, jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass

import mido

from bench.music_gen import INSTRUMENTS, NOTE_NAMES, PROGRESSIONS, chord_pcs, scale_pcs

TPB = 480
DRUMS = 9
KICK, SNARE, CLAP, HAT, OPEN_HAT, CRASH, RIDE = 36, 38, 39, 42, 46, 49, 51


@dataclass(frozen=True)
class Feel:
    """A style: meter, beat subdivision, tempo range, and where drums, chords and bass play.

    Positions are (beat, subdivision) inside one bar.
    """

    beats_per_bar: int
    beat_ticks: int  # 480 a quarter-note beat, 720 a dotted-quarter beat (6/8)
    subs: int  # subdivisions of a beat on the grid
    tempo: tuple[float, float]  # beats per minute of the labelled beat
    drums: dict[int, list[tuple[int, int]]]
    chords: list[tuple[int, int]]
    bass: list[tuple[int, int]]
    swing: bool = False
    palette: str = "house"  # which of music_gen's instrument sets


def _every(beats: int, subs: int, step: int = 1) -> list[tuple[int, int]]:
    return [(b, s) for b in range(beats) for s in range(0, subs, step)]


FEELS = {
    "four_floor": Feel(
        4, 480, 4, (118, 200),
        {KICK: _every(4, 4, 4), CLAP: [(1, 0), (3, 0)], OPEN_HAT: [(b, 2) for b in range(4)],
         HAT: _every(4, 4)},
        [(b, 2) for b in range(4)], [(b, 2) for b in range(4)],
    ),
    "rock": Feel(
        4, 480, 4, (90, 200),
        {KICK: [(0, 0), (2, 0), (2, 2)], SNARE: [(1, 0), (3, 0)], HAT: _every(4, 4, 2)},
        _every(4, 4, 2), _every(4, 4, 2), palette="rock",
    ),
    "halftime": Feel(
        4, 480, 4, (120, 170),
        {KICK: [(0, 0), (1, 3), (2, 2)], SNARE: [(2, 0)], HAT: _every(4, 4, 2)},
        [(0, 0)], [(0, 0), (2, 3)], palette="trap",
    ),
    "trap_slow": Feel(
        4, 480, 4, (60, 80),
        {KICK: [(0, 0), (0, 3), (2, 2)], CLAP: [(1, 0), (3, 0)], HAT: _every(4, 4)},
        [(0, 0)], [(0, 0), (2, 2)], palette="trap",
    ),
    "swing": Feel(
        4, 480, 3, (100, 200),
        {RIDE: [(b, 0) for b in range(4)] + [(1, 2), (3, 2)], HAT: [(1, 0), (3, 0)],
         KICK: [(0, 0)]},
        [(1, 2), (3, 0)], [(b, 0) for b in range(4)], swing=True, palette="funk",
    ),
    "boombap": Feel(
        4, 480, 4, (80, 100),
        {KICK: [(0, 0), (1, 3), (2, 2)], SNARE: [(1, 0), (3, 0)], HAT: _every(4, 4, 2)},
        [(0, 0), (2, 0)], [(0, 0), (1, 3), (2, 2)], swing=True, palette="boombap",
    ),
    "waltz": Feel(
        3, 480, 4, (80, 180),
        {KICK: [(0, 0)], SNARE: [(1, 0), (2, 0)], HAT: _every(3, 4, 2)},
        [(1, 0), (2, 0)], [(0, 0)], palette="reggae",
    ),
    "compound": Feel(
        2, 720, 3, (60, 110),
        {KICK: [(0, 0)], SNARE: [(1, 0)], HAT: _every(2, 3)},
        [(0, 0), (1, 0)], [(0, 0), (1, 0)], palette="rock",
    ),
    "ballad44": Feel(4, 480, 4, (60, 96), {}, [(0, 0)], [(0, 0), (2, 0)], palette="ballad"),
    "ballad34": Feel(3, 480, 4, (60, 120), {}, [(0, 0)], [(0, 0)], palette="ballad"),
}  # fmt: skip


@dataclass(frozen=True)
class Piece:
    """A composed clip: the MIDI file, its exact beat tempo and the beats' times in seconds."""

    midi: mido.MidiFile
    bpm: float
    beats: list[float]
    downbeats: list[float]


def compose_feel(
    feel_name: str, bpm: float, tonic: int, scale: str, seconds: float, seed: int, jitter_ms: float
) -> Piece:
    """Write `seconds` of drums, bass, chords and melody in one feel, played with jitter."""
    feel = FEELS[feel_name]
    rng = random.Random(seed)
    # The MIDI tempo is per quarter note; a dotted-quarter beat is 1.5 quarters.
    quarter_bpm = bpm * feel.beat_ticks / TPB
    tempo_us = round(mido.bpm2tempo(quarter_bpm))
    beat_s = tempo_us / 1e6 * feel.beat_ticks / TPB
    real_bpm = round(60.0 / beat_s, 4)
    bar_ticks = feel.beats_per_bar * feel.beat_ticks
    bars = int(seconds / (beat_s * feel.beats_per_bar)) + 2
    ticks_per_ms = TPB / (tempo_us / 1000)
    events: list[tuple[int, int, mido.Message]] = []

    def at(bar: int, beat: int, sub: int) -> int:
        if feel.swing and feel.subs == 4 and sub % 2 == 1:
            sub_ticks = feel.beat_ticks * (sub + 1 / 3) / feel.subs  # 16th swing
        else:
            sub_ticks = feel.beat_ticks * sub / feel.subs
        return round(bar * bar_ticks + beat * feel.beat_ticks + sub_ticks)

    def note(ch: int, pitch: int, start: int, length: int, vel: int) -> None:
        start = max(0, start + round(rng.gauss(0, jitter_ms) * ticks_per_ms))
        vel = max(1, min(127, vel + rng.randint(-12, 12)))
        events.append((start, 1, mido.Message("note_on", channel=ch, note=pitch, velocity=vel)))
        off = mido.Message("note_off", channel=ch, note=pitch, velocity=0)
        events.append((start + max(length - 10, 30), 0, off))

    bass_p, chord_p, lead_p = (rng.choice(opts) for opts in INSTRUMENTS[feel.palette])
    progression = rng.choice(PROGRESSIONS[scale])
    sub_len = feel.beat_ticks // feel.subs
    prev = 60 + (tonic - 60) % 12 + 12
    for bar in range(bars):
        for pitch, spots in feel.drums.items():
            for b, s in spots:
                accent = 105 if (b, s) == (0, 0) else 90 if s == 0 else 65
                note(DRUMS, pitch, at(bar, b, s), sub_len, accent)
        if feel.drums and bar % 4 == 0:
            note(DRUMS, CRASH, at(bar, 0, 0), bar_ticks, 90)
        pcs = chord_pcs(tonic, scale, progression[bar % len(progression)])
        root = 36 + (pcs[0] - 36) % 12
        for b, s in feel.bass:
            note(1, root, at(bar, b, s), feel.beat_ticks, 92)
        voicing = sorted(55 + (pc - 55) % 12 for pc in pcs)
        if not feel.drums:  # drumless: broken chords on every beat carry the pulse
            for b in range(feel.beats_per_bar):
                for k, pitch in enumerate(voicing):
                    sub = k * feel.subs // len(voicing)
                    note(2, pitch, at(bar, b, sub), sub_len * 2, 70 if b == 0 else 58)
        else:
            for b, s in feel.chords:
                for pitch in voicing:
                    note(2, pitch, at(bar, b, s), feel.beat_ticks // 2, 70)
        scale_here = scale_pcs(tonic, scale)
        for b in range(feel.beats_per_bar):
            if bar == 0 or rng.random() < 0.25:
                continue
            pool = pcs if b == 0 else scale_here
            cands = [n for n in range(60, 84) if n % 12 in pool]
            prev = min(cands, key=lambda n: abs(n - prev) + rng.random() * 5)
            note(3, prev, at(bar, b, 0), feel.beat_ticks, 84)
    head: list[mido.Message | mido.MetaMessage] = [
        mido.MetaMessage("set_tempo", tempo=tempo_us),
        mido.MetaMessage(
            "time_signature",
            numerator=feel.beats_per_bar * (3 if feel.beat_ticks == 720 else 1),
            denominator=8 if feel.beat_ticks == 720 else 4,
        ),
        mido.Message("program_change", channel=1, program=bass_p),
        mido.Message("program_change", channel=2, program=chord_p),
        mido.Message("program_change", channel=3, program=lead_p),
    ]
    track = mido.MidiTrack(head)
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    midi = mido.MidiFile(ticks_per_beat=TPB)
    midi.tracks.append(track)
    beats = [k * beat_s for k in range(int(seconds / beat_s) + 1)]
    downbeats = beats[:: feel.beats_per_bar]
    return Piece(midi, real_bpm, beats, downbeats)


def key_name(tonic: int) -> str:
    """Note name of a pitch class."""
    return NOTE_NAMES[tonic % 12]
