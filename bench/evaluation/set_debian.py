"""Set c: authored music shipped in Debian packages — MIDI files and tracker modules."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import mido
import numpy as np

from bench.evaluation.clips import (
    CACHE_ROOT,
    CLIP_SECONDS,
    SAMPLE_RATE,
    Clip,
    available_soundfonts,
    cut_to_wav,
    synthesize,
)
from bench.evaluation.modules import it_rows_per_beat, render_module
from bench.evaluation.reserved import check_package
from cratedig.media.loudness import rms
from cratedig.media.wav import read_wav

NAME = "debian"
VERSION = 1
# Packages read (none of them reserved by the issue; the guard checks again at download).
PACKAGES = ("pianobooster", "circuslinux-data", "njam-data", "vectoroids")
MIDI_SUFFIXES = (".mid", ".midi")
MODULE_SUFFIXES = (".mod", ".xm", ".s3m", ".it")
MIN_SECONDS = 20.0
# Labels outside this range are a module's timing glitch (a speed command misread as a tempo
# change), not a tempo; an excerpt quieter than this RMS is a file the synthesiser left silent.
MIN_BPM, MAX_BPM = 30.0, 400.0
SILENCE_RMS = 1e-3
MAX_EXCERPTS = 5
TRACKER_ROWS_PER_BEAT = 4  # the tracker convention (OpenMPT's default highlight) for MOD/XM/S3M
SOURCES = CACHE_ROOT / "debian-packages"


def fetch(root: Path = SOURCES, packages: tuple[str, ...] = PACKAGES) -> Path:
    """Download and unpack the packages once (apt-get download + dpkg -x); return the tree."""
    tree = root / "tree"
    stamp = root / ("fetched-" + "-".join(packages))
    if stamp.exists():
        return tree
    root.mkdir(parents=True, exist_ok=True)
    for package in packages:
        check_package(package)
        subprocess.run(["apt-get", "download", package], cwd=root, check=True, capture_output=True)
    for deb in sorted(root.glob("*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(tree)], check=True, capture_output=True)
    stamp.write_text("ok\n")
    return tree


def plan(
    packages: tuple[str, ...] = PACKAGES, root: Path = SOURCES, prefix: str = "deb-"
) -> list[dict[str, Any]]:
    """One spec per distinct piece (MIDI files also inside zip archives, and modules)."""
    tree = fetch(root, packages)
    seen: set[str] = set()
    specs = []
    for path in sorted(tree.rglob("*")):
        if not path.is_file():
            continue
        members: list[tuple[str, bytes]] = []
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = [
                    (f"{path.name}/{n}", archive.read(n))
                    for n in sorted(archive.namelist())
                    if n.lower().endswith(MIDI_SUFFIXES)
                ]
        elif path.suffix.lower() in MIDI_SUFFIXES or _is_module(path):
            members = [(str(path.relative_to(tree)), path.read_bytes())]
        for name, data in members:
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:  # the same piece shipped twice is one piece
                continue
            seen.add(digest)
            kind = "midi" if name.lower().endswith(MIDI_SUFFIXES) else "module"
            specs.append({"name": name, "digest": digest, "kind": kind, "tree": str(tree)})
    fonts = sorted(available_soundfonts())
    for spec in specs:
        spec["soundfont"] = fonts[int(spec["digest"][:8], 16) % len(fonts)]
        stem = Path(spec["name"]).stem.replace(" ", "_")
        spec["id"] = f"{prefix}{stem}-{spec['digest'][:6]}"
        # Two versions of one tune (a course copy, a book copy) must land in the same part.
        spec["group"] = prefix + stem.lstrip("0123456789-_").lower()
    return specs


def _is_module(path: Path) -> bool:
    """A tracker module by its suffix; an .it file only with Impulse Tracker's magic (a game's
    `language.It` text table is not one)."""
    suffix = path.suffix.lower()
    if suffix not in MODULE_SUFFIXES:
        return False
    if suffix != ".it":
        return True
    with path.open("rb") as f:
        return f.read(4) == b"IMPM"


def _data(spec: dict[str, Any]) -> bytes:
    tree = Path(spec["tree"])
    name = spec["name"]
    if ".zip/" in name:
        archive, member = name.split(".zip/", 1)
        found = next(tree.rglob(archive + ".zip"))
        with zipfile.ZipFile(found) as z:
            return z.read(member)
    return (tree / name).read_bytes()


def render(spec: dict[str, Any], out_dir: Path) -> list[Clip]:
    """All excerpts of one piece with a constant tempo, labelled from the file itself."""
    data = _data(spec)
    with tempfile.TemporaryDirectory(prefix="cratedig-eval-") as tmp:
        full = Path(tmp) / "full.wav"
        if spec["kind"] == "midi":
            mid = Path(tmp) / "piece.mid"
            mid.write_bytes(data)
            synthesize(mid, available_soundfonts()[spec["soundfont"]], full)
            windows = midi_windows(data)
            key = midi_key(mid)
            source = "MIDI set_tempo (constant over the excerpt)"
        else:
            import soundfile  # the bench extra (librosa brings it)

            audio, rows = render_module(data, SAMPLE_RATE, 600.0)
            soundfile.write(full, np.clip(audio, -1, 1), SAMPLE_RATE, subtype="PCM_16")
            windows = module_windows(data, rows)
            key = None  # a module carries no key: these clips are tempo-only
            source = "module speed/tempo and rows per beat"
        clips = []
        for n, (start, bpm, beats, downs) in enumerate(windows[:MAX_EXCERPTS]):
            clip_id = f"{spec['id']}-{n}"
            out = out_dir / f"{clip_id}.wav"
            cut_to_wav(full, out, start, CLIP_SECONDS)
            if not (MIN_BPM <= bpm <= MAX_BPM) or not _sounds(out):
                out.unlink()  # a file the synthesiser played as silence, or a timing glitch
                continue
            clips.append(
                Clip(
                    id=clip_id,
                    group=spec["group"],
                    file=out.name,
                    bpm=round(bpm, 3),
                    bpm_source=source,
                    key=key[0] if key else None,
                    scale=key[1] if key else None,
                    beats=_rel(beats, start),
                    downbeats=_rel(downs, start),
                    meta={"source": spec["name"], "soundfont": spec["soundfont"]},
                )
            )
    return clips


def _sounds(wav: Path) -> bool:
    """At least MIN_SECONDS of sound, not silence."""
    audio, rate = read_wav(wav, mono=True)
    return audio.size >= MIN_SECONDS * rate and rms(audio) > SILENCE_RMS


def _rel(times: list[float], start: float) -> list[float]:
    return [round(t - start, 4) for t in times if start - 1e-6 <= t < start + CLIP_SECONDS]


Window = tuple[float, float, list[float], list[float]]


def midi_windows(data: bytes) -> list[Window]:
    """Excerpts starting on a bar inside one constant-tempo, constant-meter stretch."""
    midi = mido.MidiFile(file=io.BytesIO(data))
    tempos: list[tuple[int, int]] = []
    meters: list[tuple[int, int, int]] = []
    end_tick = 0
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, msg.tempo))
            elif msg.type == "time_signature":
                meters.append((tick, msg.numerator, msg.denominator))
        end_tick = max(end_tick, tick)
    tempos = sorted(tempos) or [(0, 500000)]
    meters = sorted(meters) or [(0, 4, 4)]
    if tempos[0][0] != 0 or meters[0][0] != 0:
        return []
    tempo_us = tempos[0][1]
    # The stretch ends at the first change of tempo or meter.
    changes = [t for t, v in tempos if v != tempo_us]
    changes += [t for t, n, d in meters if (n, d) != meters[0][1:]]
    stop = min([*changes, end_tick])
    _, num, den = meters[0]
    compound = num in (6, 9, 12) and den == 8
    beat_ticks = midi.ticks_per_beat * 4 // den * (3 if compound else 1)
    per_bar = num // 3 if compound else num
    sec_per_tick = tempo_us / 1e6 / midi.ticks_per_beat
    beats = [k * beat_ticks * sec_per_tick for k in range(stop // beat_ticks + 1)]
    bpm = 60.0 / (beat_ticks * sec_per_tick)
    return _windows(beats, per_bar, stop * sec_per_tick, bpm)


def module_windows(data: bytes, rows: list[Any]) -> list[Window]:
    """Excerpts of a module inside one stretch of constant speed and tempo."""
    stored = it_rows_per_beat(data)
    per_beat, per_bar = stored if stored else (TRACKER_ROWS_PER_BEAT, 4 * TRACKER_ROWS_PER_BEAT)
    out: list[Window] = []
    run: list[Any] = []
    for r in [*rows, None]:
        if r is not None and (not run or (r.speed, r.tempo) == (run[0].speed, run[0].tempo)):
            run.append(r)
            continue
        if run:
            speed, tempo = run[0].speed, run[0].tempo
            bpm = 60.0 / (per_beat * speed * 2.5 / tempo)
            beat_rows = [x.seconds for x in run if x.row % per_beat == 0]
            starts = [x.seconds for x in run if x.row % per_bar == 0]
            out += _windows(beat_rows, 0, run[-1].seconds, bpm, starts)
        run = [r] if r is not None else []
    return out


def _windows(
    beats: list[float], per_bar: int, end: float, bpm: float, bars: list[float] | None = None
) -> list[Window]:
    """Non-overlapping excerpts of up to CLIP_SECONDS (at least MIN_SECONDS) starting on bars."""
    downs = bars if bars is not None else beats[::per_bar]
    out: list[Window] = []
    next_free = 0.0
    for start in downs:
        if start >= next_free and end - start >= MIN_SECONDS:
            out.append((start, bpm, beats, downs))
            next_free = start + CLIP_SECONDS
    return out


def midi_key(mid: Path) -> tuple[str, str] | None:
    """The key signature of a MIDI file when music21's analysis of its notes agrees."""
    from music21 import converter

    signatures = {m.key for t in mido.MidiFile(mid).tracks for m in t if m.type == "key_signature"}
    if len(signatures) != 1:
        return None
    written = signatures.pop()
    scale = "minor" if written.endswith("m") else "major"
    tonic = written.removesuffix("m")
    analysed = converter.parse(str(mid)).analyze("key")
    name = analysed.tonic.name.replace("-", "b")
    from bench.evaluation.scores import pitch_class

    if analysed.mode != scale or pitch_class(name) != pitch_class(tonic):
        return None
    return name, scale
