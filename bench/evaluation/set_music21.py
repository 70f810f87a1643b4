"""Set b: music21 corpus scores (never the reserved composers) rendered with GM soundfonts."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import mido

from bench.evaluation.clips import CLIP_SECONDS, Clip, available_soundfonts, render_midi
from bench.evaluation.reserved import ReservedSourceError, check_corpus_path

NAME = "music21"
VERSION = 1
MIN_SECONDS = 20.0
SCORE_SUFFIXES = (".mxl", ".xml", ".musicxml", ".krn", ".abc")
# Big folders are sampled so that no one composer's style dominates the set.
CAPS = {"palestrina": 50, "trecento": 20, "ryansMammoth": 50}
# Demo files duplicate other composers' pieces; the folk collections are files of hundreds
# of songs each (minutes to parse), most shorter than an excerpt.
SKIP = (
    "demos",
    "theoryExercises",
    "essenFolksong",
    "oneills1850",
    "nottingham-dataset",
    "airdsAirs",
)
# Loading the compressed (sf3) soundfont costs seconds per render: this set uses the sf2 ones.
SOUNDFONT_NAMES = ("fluidr3", "timgm6mb", "opl3")


def plan() -> list[dict[str, Any]]:
    """Every allowed corpus score (big folders sampled by hash), in a hash order."""
    from music21 import corpus

    fonts = sorted(set(available_soundfonts()) & set(SOUNDFONT_NAMES))
    return [
        {"path": p, "id": _clip_id(p), "soundfont": fonts[_hash(p) % len(fonts)]}
        for p in choose([str(p) for p in corpus.getPaths()])
    ]


def choose(paths: list[str]) -> list[str]:
    """The corpus files the set reads: never a reserved composer, big folders capped."""
    chosen = []
    for folder, members in sorted(allowed_by_folder(paths).items()):
        chosen += sorted(members, key=_hash)[: CAPS.get(folder, len(members))]
    return sorted(chosen, key=_hash)


def allowed_by_folder(paths: list[str]) -> dict[str, list[str]]:
    """Readable scores by corpus folder: no reserved composer, no skipped folder."""
    by_folder: dict[str, list[str]] = {}
    for path in sorted(paths):
        try:
            check_corpus_path(path)
        except ReservedSourceError:
            continue
        folder = path.split("/corpus/")[1].split("/")[0]
        if folder in SKIP or not path.endswith(SCORE_SUFFIXES):
            continue
        by_folder.setdefault(folder, []).append(path)
    return by_folder


# The set was first drawn with hashes of corpus paths as installed in the project's venv.
# Hashing every path under that one fixed prefix keeps the same draw (pieces, soundfonts,
# render tempi) wherever music21 is installed: another venv must not make another set.
DRAW_PREFIX = "/work/main/.venv/lib/python3.11/site-packages/music21/corpus/"


def _hash(text: str) -> int:
    """A stable 64-bit hash of a corpus path (and any suffix), whatever the install location."""
    if "/corpus/" in text:
        text = DRAW_PREFIX + text.split("/corpus/", 1)[1]
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _clip_id(path: str) -> str:
    tail = path.split("/corpus/")[1]
    return "m21-" + tail.rsplit(".", 1)[0].replace("/", "-")


def render(spec: dict[str, Any], out_dir: Path) -> Clip | None:
    """Parse, check and label one score; None when it fails a check (no key, tempo change…)."""
    from music21 import converter, stream

    path = check_corpus_path(spec["path"])
    try:
        parsed = converter.parse(path)
    except Exception:  # a corpus file music21 itself cannot read is simply not in the set
        return None
    score = parsed.scores[0] if isinstance(parsed, stream.Opus) else parsed
    try:
        # The MIDI writer plays repeats: label the same unrolled timeline it renders.
        score = score.expandRepeats()
    except Exception:  # badly formed repeats: the timeline is unknown, leave the score out
        return None
    label = _label(score, spec)
    if label is None:
        return None
    qbpm, start_ql, end_ql, bpm, source, key, scale, beats_ql, downs_ql = label
    sec = 60.0 / qbpm
    start, seconds = start_ql * sec, min(CLIP_SECONDS, (end_ql - start_ql) * sec)
    out = out_dir / f"{spec['id']}.wav"
    if not out.exists():  # else a resumed generation: the WAV of this version is there
        with tempfile.TemporaryDirectory(prefix="cratedig-eval-") as tmp:
            mid = Path(tmp) / "score.mid"
            try:
                score.write("midi", fp=str(mid))
            except Exception:  # music21's MIDI writer trips on a few scores: not in the set
                return None
            _one_tempo(mid, qbpm)
            try:
                render_midi(mid, available_soundfonts()[spec["soundfont"]], out, start, seconds)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                out.unlink(missing_ok=True)
                return None
    return Clip(
        id=spec["id"],
        group=spec["id"],
        file=out.name,
        bpm=round(bpm, 3),
        bpm_source=source,
        key=key,
        scale=scale,
        beats=[round(b * sec - start, 4) for b in beats_ql if b * sec - start < seconds],
        downbeats=[round(b * sec - start, 4) for b in downs_ql if b * sec - start < seconds],
        meta={"score": spec["path"].split("/corpus/")[1], "soundfont": spec["soundfont"]},
    )


def _label(score: Any, spec: dict[str, Any]) -> tuple[Any, ...] | None:
    """Tempo, excerpt bounds, key and beat grid of a score, or None when it fails a check."""
    from music21 import meter, tempo

    parts = list(score.parts)
    if not parts:
        return None
    measures = list(parts[0].getElementsByClass("Measure"))
    signatures = list(score.recurse().getElementsByClass(meter.TimeSignature))
    if not measures or not signatures:
        return None
    ts = signatures[0]
    bar_ql = float(ts.barDuration.quarterLength)
    beat_ql = float(ts.beatDuration.quarterLength)
    # Start at the first full bar (after any pickup) and stop at the first meter change.
    full = [m for m in measures if abs(float(m.duration.quarterLength) - bar_ql) < 1e-6]
    if not full:
        return None
    start_ql = float(full[0].offset)
    end_ql = float(measures[-1].offset + measures[-1].duration.quarterLength)
    # A short bar later on (a repeat's pickup, a fermata bar) would shift the downbeats.
    for m in measures:
        if float(m.offset) > start_ql and abs(float(m.duration.quarterLength) - bar_ql) > 1e-6:
            end_ql = min(end_ql, float(m.offset))
            break
    for other in signatures[1:]:
        if (
            other.ratioString != ts.ratioString
            and float(other.getOffsetInHierarchy(score)) > start_ql
        ):
            end_ql = min(end_ql, float(other.getOffsetInHierarchy(score)))
    marks = [
        (float(m.getOffsetInHierarchy(score)), m)
        for m in score.recurse().getElementsByClass(tempo.MetronomeMark)
    ]
    explicit = [(o, m) for o, m in marks if m.number is not None and not m.numberImplicit]
    if explicit and explicit[0][0] <= start_ql + 1e-6:
        # A training variant may play the score faster or slower than marked (`tempo_factor`).
        qbpm = float(explicit[0][1].getQuarterBPM()) * spec.get("tempo_factor", 1.0)
        source = "score metronome mark"
    else:
        # 60-130 beats a minute, or the render tempo a training variant asks for.
        beat_bpm = spec.get("beat_bpm") or 60 + _hash(spec["path"]) % 71
        qbpm = beat_bpm * beat_ql
        source = "render tempo (no metronome mark)"
    for offset, _mark in marks[1:]:
        if offset > start_ql + 1e-6:  # stop before any later tempo indication
            end_ql = min(end_ql, offset)
    if (end_ql - start_ql) * 60.0 / qbpm < MIN_SECONDS:
        return None
    key = _confirmed_key(score, start_ql, end_ql)
    if key is None:
        return None
    beats = [b * beat_ql + start_ql for b in range(int((end_ql - start_ql) / beat_ql))]
    downs = [m.offset for m in full if start_ql <= float(m.offset) < end_ql]
    return (qbpm, start_ql, end_ql, qbpm / beat_ql, source, *key, beats, [float(d) for d in downs])


def _confirmed_key(score: Any, start_ql: float, end_ql: float) -> tuple[str, str] | None:
    """The excerpt's key when the key signature and the notes' analysis agree, else None."""
    from music21 import key as m21key

    signatures = list(score.recurse().getElementsByClass(m21key.KeySignature))
    if not signatures or len({s.sharps for s in signatures}) != 1:
        return None
    notes = score.flatten().notes.getElementsByOffset(start_ql, end_ql, includeEndBoundary=False)
    analysed = notes.stream().analyze("key")
    if analysed.mode not in ("major", "minor") or analysed.sharps != signatures[0].sharps:
        return None
    return analysed.tonic.name.replace("-", "b"), str(analysed.mode)


def _one_tempo(mid: Path, quarter_bpm: float) -> None:
    """Replace every tempo event of a MIDI file by one constant tempo at the start."""
    midi = mido.MidiFile(mid)
    for track in midi.tracks:
        carry = 0
        kept = mido.MidiTrack()
        for msg in track:
            if msg.type == "set_tempo":
                carry += msg.time
                continue
            kept.append(msg.copy(time=msg.time + carry))
            carry = 0
        track[:] = kept
    midi.tracks[0].insert(
        0, mido.MetaMessage("set_tempo", tempo=round(mido.bpm2tempo(quarter_bpm)))
    )
    midi.save(mid)
