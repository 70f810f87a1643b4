"""Set a: the project's generator widened, rendered with several Debian GM soundfonts."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

from bench.evaluation.clips import CLIP_SECONDS, Clip, available_soundfonts, render_midi
from bench.evaluation.generator import FEELS, compose_feel, key_name

NAME = "generated"
VERSION = 1
COUNT = 80
SEED = 20261206


def plan(count: int = COUNT, seed: int = SEED) -> list[dict[str, Any]]:
    """Deterministic specs: feels in turn, tempi stratified per feel, all 24 keys, 4 soundfonts."""
    rng = random.Random(seed)
    fonts = sorted(available_soundfonts())
    feels = list(FEELS)
    keys = [(t, s) for s in ("major", "minor") for t in range(12)]
    rng.shuffle(keys)
    per_feel = -(-count // len(feels))
    specs = []
    for i in range(count):
        feel = feels[i % len(feels)]
        lo, hi = FEELS[feel].tempo
        k = i // len(feels)
        bpm = round(lo + (hi - lo) * (k + rng.random()) / per_feel, 1)
        tonic, scale = keys[i % len(keys)]
        specs.append(
            {
                "id": f"gen-{i:03d}-{feel}",
                "feel": feel,
                "bpm": bpm,
                "tonic": tonic,
                "scale": scale,
                "soundfont": fonts[(i // len(feels) + i) % len(fonts)],
                "jitter_ms": (0.0, 6.0, 12.0, 20.0)[rng.randrange(4)],
                "seed": seed + i,
            }
        )
    return specs


def render(spec: dict[str, Any], out_dir: Path) -> Clip:
    """Compose one spec, render it and label it with the exact grid."""
    piece = compose_feel(
        spec["feel"],
        spec["bpm"],
        spec["tonic"],
        spec["scale"],
        CLIP_SECONDS,
        spec["seed"],
        spec["jitter_ms"],
    )
    out = out_dir / f"{spec['id']}.wav"
    with tempfile.TemporaryDirectory(prefix="cratedig-eval-") as tmp:
        mid = Path(tmp) / "clip.mid"
        piece.midi.save(mid)
        render_midi(mid, available_soundfonts()[spec["soundfont"]], out, 0.0, CLIP_SECONDS)
    return Clip(
        id=spec["id"],
        group=spec["id"],
        file=out.name,
        bpm=piece.bpm,
        bpm_source="MIDI tempo (beat = quarter, dotted quarter in 6/8)",
        key=key_name(spec["tonic"]),
        scale=spec["scale"],
        beats=[round(t, 4) for t in piece.beats if t < CLIP_SECONDS],
        downbeats=[round(t, 4) for t in piece.downbeats if t < CLIP_SECONDS],
        meta={
            "feel": spec["feel"],
            "soundfont": spec["soundfont"],
            "jitter_ms": str(spec["jitter_ms"]),
        },
    )
