"""Compose short, honestly tonal MIDI clips in a given style, tempo and key (seeded, no samples)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import mido

NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]
TPB = 480  # ticks per quarter note
STEP = TPB // 4  # one sixteenth note
DRUMS = 9

# Chord loops as scale degrees (0 = tonic). In minor, degree 4 is played as a major V
# (harmonic minor), the usual practice in pop and classical minor; some loops stay natural.
PROGRESSIONS = {
    "major": [
        [0, 4, 5, 3],
        [0, 3, 4, 0],
        [0, 5, 3, 4],
        [1, 4, 0, 0],
        [0, 2, 3, 4],
        [0, 3, 0, 4],
        [0, 4, 3, 4],
        [5, 3, 0, 4],
    ],
    "minor": [
        [0, 5, 2, 6],
        [0, 3, 4, 0],
        [0, 5, 3, 4],
        [0, 3, 6, 2],
        [0, 6, 5, 4],
        [0, 3, 0, 4],
        [0, 0, 3, 4],
        [0, 5, 6, 0],
    ],
}

# GM programs (0-based) per style and role.
INSTRUMENTS = {
    "house": ([38, 39], [4, 0, 89, 16], [80, 81, 11]),
    "techno": ([38, 39], [90, 50, 81], [80, 84, 87]),
    "boombap": ([32, 33], [4, 0, 11], [65, 73, 56]),
    "rock": ([33, 34], [29, 30, 27], [30, 29, 81]),
    "funk": ([36, 33], [7, 27, 4], [61, 65, 56]),
    "ballad": ([32, 42, 0], [0, 46], [40, 73, 71, 0]),
    "reggae": ([33, 32], [16, 27], [56, 65, 73]),
    "trap": ([38, 39], [88, 89, 0], [80, 10, 75]),
}
TEMPO_RANGES = {
    "ballad": (60.0, 86.0),
    "reggae": (66.0, 92.0),
    "boombap": (78.0, 98.0),
    "funk": (92.0, 118.0),
    "house": (115.0, 128.0),
    "techno": (124.0, 145.0),
    "rock": (100.0, 180.0),
    "trap": (130.0, 160.0),
}
STYLES = list(TEMPO_RANGES)

# Drum patterns: note -> 16th-step positions in a bar.
KICK, SNARE, RIM, CLAP, HAT, OPEN_HAT, CRASH, RIDE = 36, 38, 37, 39, 42, 46, 49, 51
DRUM_PATTERNS: dict[str, list[dict[int, list[int]]]] = {
    "house": [{KICK: [0, 4, 8, 12], CLAP: [4, 12], OPEN_HAT: [2, 6, 10, 14], HAT: list(range(16))}],
    "techno": [
        {KICK: [0, 4, 8, 12], HAT: [2, 6, 10, 14], RIDE: list(range(0, 16, 2))},
        {KICK: [0, 4, 8, 12], CLAP: [4, 12], HAT: list(range(16)), RIM: [7, 15]},
    ],
    "boombap": [
        {KICK: [0, 7, 10], SNARE: [4, 12], HAT: list(range(0, 16, 2))},
        {KICK: [0, 3, 10], SNARE: [4, 12], HAT: list(range(0, 16, 2))},
    ],
    "rock": [
        {KICK: [0, 8], SNARE: [4, 12], HAT: list(range(0, 16, 2))},
        {KICK: [0, 6, 8], SNARE: [4, 12], RIDE: list(range(0, 16, 2))},
    ],
    "funk": [
        {KICK: [0, 3, 6, 10], SNARE: [4, 12], HAT: list(range(16))},
        {KICK: [0, 7, 10, 14], SNARE: [4, 12], HAT: list(range(16))},
    ],
    "ballad": [{}],
    "reggae": [{KICK: [8], RIM: [8], HAT: list(range(0, 16, 2))}],
    # Half-time feel: the snare lands on beat 3, hats keep the quarter-note tempo in eighths.
    "trap": [
        {KICK: [0, 3, 11], CLAP: [8], HAT: list(range(0, 16, 2))},
        {KICK: [0, 6, 10], CLAP: [8], HAT: list(range(0, 16, 2))},
    ],
}
GHOSTS = {"funk": {SNARE: [7, 9, 15]}}
# Chord rhythm per style: (16th steps where a chord starts, length in steps).
CHORD_RHYTHMS = {
    "house": ([2, 6, 10, 14], 1),
    "techno": ([0, 3, 10], 2),
    "boombap": ([0, 8], 7),
    "rock": (list(range(0, 16, 2)), 2),
    "funk": ([0, 3, 6, 10, 13], 1),
    "ballad": ([0], 16),
    "reggae": ([4, 12], 2),
    "trap": ([0], 16),
}
BASS_RHYTHMS = {
    "house": [2, 6, 10, 14],
    "techno": [2, 3, 6, 7, 10, 11, 14, 15],
    "boombap": [0, 7, 10],
    "rock": list(range(0, 16, 2)),
    "funk": [0, 3, 6, 8, 10, 13],
    "ballad": [0, 8],
    "reggae": [0, 6, 8],
    "trap": [0, 11],
}


@dataclass
class Song:
    """A composed clip: its MIDI file and what it is."""

    midi: mido.MidiFile
    bpm: float
    instruments: list[str] = field(default_factory=list)


def scale_pcs(tonic: int, scale: str) -> list[int]:
    """Pitch classes of the natural scale on `tonic`."""
    return [(tonic + step) % 12 for step in (MAJOR if scale == "major" else MINOR)]


def chord_pcs(tonic: int, scale: str, degree: int) -> list[int]:
    """Triad on a scale degree; in minor, V (and vii°) take the raised leading tone."""
    steps = list(MAJOR if scale == "major" else MINOR)
    if scale == "minor" and degree in (4, 6):
        steps[6] = 11
    return [(tonic + steps[(degree + k) % 7]) % 12 for k in (0, 2, 4)]


def _near(pc: int, centre: int) -> int:
    """The MIDI note with pitch class `pc` closest to `centre`."""
    return centre + ((pc - centre + 6) % 12) - 6


class _Writer:
    """Collects absolute-time note events per channel and emits one MIDI track."""

    def __init__(self, rng: random.Random) -> None:
        self.events: list[tuple[int, int, mido.Message]] = []
        self.rng = rng

    def note(self, ch: int, note: int, start: int, length: int, vel: int) -> None:
        jitter = self.rng.randint(-6, 6)  # a few ms of human timing
        start = max(0, start + jitter)
        vel = max(1, min(127, vel + self.rng.randint(-8, 8)))
        self.events.append((start, 1, mido.Message("note_on", channel=ch, note=note, velocity=vel)))
        self.events.append(
            (
                start + max(length - 10, 20),
                0,
                mido.Message("note_off", channel=ch, note=note, velocity=0),
            )
        )

    def track(self, head: list[mido.Message | mido.MetaMessage]) -> mido.MidiTrack:
        track = mido.MidiTrack(head)
        now = 0
        for tick, _, msg in sorted(self.events, key=lambda e: (e[0], e[1])):
            track.append(msg.copy(time=tick - now))
            now = tick
        return track


def compose(style: str, bpm: float, tonic: int, scale: str, seconds: float, seed: int) -> Song:
    """Write a clip of `seconds` with drums, bass, chords and a melody."""
    rng = random.Random(seed)
    tempo_us = round(mido.bpm2tempo(bpm))
    real_bpm = round(60e6 / tempo_us, 2)
    bars = int(seconds * real_bpm / 240) + 2
    bass_p, chord_p, lead_p = (rng.choice(opts) for opts in INSTRUMENTS[style])
    progression = rng.choice(PROGRESSIONS[scale])
    bars_per_chord = 1 if real_bpm < 110 or rng.random() < 0.3 else 2
    swing = STEP // 3 if style in ("boombap", "reggae") else 0
    w = _Writer(rng)

    def at(bar: int, step: int) -> int:
        return (bar * 16 + step) * STEP + (swing if step % 4 == 2 else 0)

    drum_pattern = rng.choice(DRUM_PATTERNS[style])
    for bar in range(bars):
        for note, steps in drum_pattern.items():
            for s in steps:
                accent = 100 if s % 4 == 0 else 80
                vel = accent - (25 if note == HAT and s % 2 else 0)
                w.note(DRUMS, note, at(bar, s), STEP, vel)
        for note, steps in GHOSTS.get(style, {}).items():
            for s in steps:
                w.note(DRUMS, note, at(bar, s), STEP, 35)
        if style == "trap" and bar % 2 == 1:  # hi-hat roll into the next bar
            for k in range(8):
                w.note(DRUMS, HAT, at(bar, 12) + k * STEP // 2, STEP // 2, 60)
        if drum_pattern and bar % 8 == 0:
            w.note(DRUMS, CRASH, at(bar, 0), 8 * STEP, 90)

    chord_steps, chord_len = CHORD_RHYTHMS[style]
    melody_centre = _near(tonic, 72)
    prev = melody_centre
    for bar in range(bars):
        degree = progression[(bar // bars_per_chord) % len(progression)]
        pcs = chord_pcs(tonic, scale, degree)
        root = _near(pcs[0], 40)
        for s in BASS_RHYTHMS[style]:
            note = root + (12 if style == "funk" and s in (6, 13) else 0)
            w.note(1, note, at(bar, s), STEP * (8 if style in ("ballad", "trap") else 2), 95)
        voicing = sorted(_near(pc, 62) for pc in pcs)
        if style == "ballad":  # broken-chord accompaniment in eighths
            arp = [
                voicing[0] - 12,
                voicing[2] - 12,
                voicing[1],
                voicing[2],
                voicing[0] + 12,
                voicing[2],
                voicing[1],
                voicing[2] - 12,
            ]
            for k, n in enumerate(arp):
                w.note(2, n, at(bar, 2 * k), 2 * STEP, 62 if k else 75)
            for n in voicing:
                w.note(3, n, at(bar, 0), 16 * STEP, 50)
        else:
            for s in chord_steps:
                for n in voicing:
                    w.note(2, n, at(bar, s), chord_len * STEP, 72)
        scale_here = scale_pcs(tonic, scale)
        if scale == "minor" and degree in (4, 6):
            scale_here[6] = (tonic + 11) % 12
        if bar >= 1:
            prev = _melody_bar(w, rng, at(bar, 0), style, pcs, scale_here, prev, melody_centre)
    head: list[mido.Message | mido.MetaMessage] = [
        mido.MetaMessage("set_tempo", tempo=tempo_us),
        mido.Message("program_change", channel=1, program=bass_p),
        mido.Message("program_change", channel=2, program=chord_p),
        mido.Message("program_change", channel=3, program=48),
        mido.Message("program_change", channel=4, program=lead_p),
    ]
    midi = mido.MidiFile(ticks_per_beat=TPB)
    midi.tracks.append(w.track(head))
    return Song(midi, real_bpm, [str(bass_p), str(chord_p), str(lead_p)])


def _melody_bar(
    w: _Writer,
    rng: random.Random,
    start: int,
    style: str,
    chord: list[int],
    scale_pcs_: list[int],
    prev: int,
    centre: int,
) -> int:
    """One bar of melody: chord tones on strong beats, scale steps between, some rests."""
    lengths = [4, 8] if style == "ballad" else [2, 2, 4, 4, 6]
    pos = 0
    while pos < 16:
        length = min(rng.choice(lengths), 16 - pos)
        if rng.random() < 0.2:
            pos += length
            continue
        pool = chord if pos % 8 == 0 else scale_pcs_
        cands = [n for n in range(centre - 9, centre + 13) if n % 12 in pool]
        note = min(cands, key=lambda n: abs(n - prev) + rng.random() * 5)
        w.note(4, note, start + pos * STEP, length * STEP, 85)
        prev = note
        pos += length
    return prev
