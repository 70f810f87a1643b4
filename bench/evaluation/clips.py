"""Labelled clips of one development set: the label record, rendering and the on-disk cache."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CACHE_ROOT = Path(".cache/evaluation")
SAMPLE_RATE = 44100
CLIP_SECONDS = 25.0
RENDER_TIMEOUT = 300.0
# General MIDI soundfonts shipped by Debian (install-system-deps.sh --test installs them).
SOUNDFONTS = {
    "fluidr3": Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    "timgm6mb": Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    "musescore": Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
    "opl3": Path("/usr/share/sounds/sf2/OPL-3_FM_128M.sf2"),
}


@dataclass(frozen=True)
class Clip:
    """One clip's ground truth; key None means a tempo-only clip."""

    id: str
    group: str  # the piece: every excerpt of it falls into the same split part
    file: str
    bpm: float
    bpm_source: str
    key: str | None
    scale: str | None
    beats: list[float]
    downbeats: list[float]
    meta: dict[str, str] = field(default_factory=dict)


def available_soundfonts() -> dict[str, Path]:
    """The Debian GM soundfonts present on this machine (at least FluidR3 is required)."""
    found = {name: path for name, path in SOUNDFONTS.items() if path.exists()}
    if "fluidr3" not in found:
        raise RuntimeError("missing fluid-soundfont-gm: run scripts/install-system-deps.sh --test")
    return found


def render_midi(midi: Path, soundfont: Path, out: Path, start: float, seconds: float) -> None:
    """Render a MIDI file with fluidsynth and keep [start, start+seconds) as mono 44.1 kHz WAV."""
    with tempfile.TemporaryDirectory(prefix="cratedig-eval-") as tmp:
        wav = Path(tmp) / "full.wav"
        synthesize(midi, soundfont, wav)
        cut_to_wav(wav, out, start, seconds)


def synthesize(midi: Path, soundfont: Path, wav: Path) -> None:
    """Render a whole MIDI file with fluidsynth to a 44.1 kHz WAV."""
    _silence_at_end(midi)
    # fmt: off
    subprocess.run(
        ["fluidsynth", "-ni", "-q", "-F", str(wav), "-r", str(SAMPLE_RATE), "-g", "0.5",
         str(soundfont), str(midi)],
        check=True, capture_output=True, timeout=RENDER_TIMEOUT,
    )
    # fmt: on


def _silence_at_end(midi: Path) -> None:
    """End every channel's sound after the last event.

    fluidsynth writes until the last voice dies: a note left sounding with a looped sample
    (OPL-3 font) rendered 14 GB before this.
    """
    import mido

    song = mido.MidiFile(midi)
    track = song.tracks[0]
    end = max(sum(m.time for m in t) for t in song.tracks)
    pad = end - sum(m.time for m in track) + song.ticks_per_beat
    at_end = [m for m in track if m.type == "end_of_track"]
    for m in at_end:
        track.remove(m)
    for ch in range(16):
        track.append(mido.Message("control_change", channel=ch, control=120, value=0, time=pad))
        pad = 0
    track.append(mido.MetaMessage("end_of_track", time=0))
    song.save(midi)


def cut_to_wav(source: Path, out: Path, start: float, seconds: float) -> None:
    """Write [start, start+seconds) of `source` as mono 16-bit 44.1 kHz WAV."""
    # fmt: off
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-ss", f"{start:.4f}", "-t", f"{seconds:.4f}", "-i", str(source),
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", str(out)],
        check=True, capture_output=True,
    )
    # fmt: on


def window(times: Sequence[float], start: float, seconds: float) -> list[float]:
    """Times inside the excerpt, shifted so the excerpt starts at 0."""
    return [round(t - start, 4) for t in times if start - 1e-6 <= t < start + seconds]


Renderer = Callable[[dict[str, Any], Path], "Clip | list[Clip] | None"]


# Spec fields that say where a source lies on this machine, not what is rendered.
LOCAL_FIELDS = ("path", "tree")


def plan_digest(specs: list[dict[str, Any]]) -> str:
    """A digest of what a set's specs render (not where their sources lie on this machine):
    a checkout whose plan differs re-renders rather than relabel another plan's audio."""
    portable = [{k: v for k, v in s.items() if k not in LOCAL_FIELDS} for s in specs]
    text = json.dumps(portable, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ensure_set(
    name: str, version: int, specs: list[dict[str, Any]], render: Renderer, root: Path
) -> list[Clip]:
    """Load a set's labels from its cache, or render every spec (2 processes) and cache them."""
    out_dir = root / name
    index = out_dir / "labels.json"
    digest = plan_digest(specs)
    if index.exists():
        data = json.loads(index.read_text())
        # A cache written before digests were kept is trusted on its spec count.
        same_plan = data.get("plan", digest) == digest and data.get("specs") == len(specs)
        if data.get("version") == version and same_plan:
            clips = [Clip(**item) for item in data["clips"]]
            if all((out_dir / c.file).exists() for c in clips):
                return clips
    for tool in ("fluidsynth", "ffmpeg"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"missing {tool}: run scripts/install-system-deps.sh --test")
    # An interrupted generation of the same version and plan resumes: its WAVs are reused.
    stamp = out_dir / f"version-{version}-{digest}"
    if out_dir.exists() and not stamp.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    (root / ".gitignore").write_text("*\n")  # generated audio never goes into git
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=2) as pool:
        rendered = list(pool.map(render, specs, [out_dir] * len(specs)))
    clips = [c for r in rendered for c in ([r] if isinstance(r, Clip) else r or [])]
    print(
        f"{name}: rendered {len(clips)} clips in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    payload = {
        "version": version,
        "specs": len(specs),
        "plan": digest,
        "clips": [asdict(c) for c in clips],
    }
    index.write_text(json.dumps(payload, indent=1))
    return clips
