"""Generate the labelled synthetic music set (MIDI -> fluidsynth -> MP3) used by the benchmark."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.music_gen import NOTE_NAMES, STYLES, TEMPO_RANGES, compose

GENERATOR_VERSION = 4
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
DEFAULT_OUT = Path(".cache/dataset")
DEFAULT_COUNT = 72
CLIP_SECONDS = 30.0
SEED = 20240601


@dataclass(frozen=True)
class Label:
    """Ground truth of one clip: the MIDI's quarter-note tempo and the key it was written in."""

    file: str
    bpm: float
    key: str
    scale: str
    style: str
    instruments: list[str]


def require_tools() -> None:
    """Fail with one clear line when fluidsynth, the GM soundfont or ffmpeg is missing."""
    missing = [tool for tool in ("fluidsynth", "ffmpeg") if shutil.which(tool) is None]
    if not SOUNDFONT.exists():
        missing.append(f"{SOUNDFONT} (apt-get install fluid-soundfont-gm)")
    if missing:
        raise RuntimeError("missing: " + ", ".join(missing))


def render_clip(
    out: Path,
    *,
    style: str,
    bpm: float,
    key: str,
    scale: str,
    seconds: float = 10.0,
    seed: int = 0,
    bitrate: str | None = "128k",
) -> Label:
    """Compose and render one labelled clip to `out` (.mp3 with a bitrate, else .wav)."""
    tonic = NOTE_NAMES.index(key)
    song = compose(style, bpm, tonic, scale, seconds, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cratedig-ds-") as tmp:
        mid, wav = Path(tmp) / "clip.mid", Path(tmp) / "clip.wav"
        song.midi.save(mid)
        subprocess.run(
            [
                "fluidsynth",
                "-ni",
                "-q",
                "-F",
                str(wav),
                "-r",
                "44100",
                "-g",
                "0.6",
                str(SOUNDFONT),
                str(mid),
            ],
            check=True,
            capture_output=True,
        )
        codec = ["-c:a", "libmp3lame", "-b:a", bitrate] if bitrate else ["-c:a", "pcm_s16le"]
        subprocess.run(
            [
                "ffmpeg",
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-y",
                "-i",
                str(wav),
                "-t",
                f"{seconds:.3f}",
                *codec,
                str(out),
            ],
            check=True,
            capture_output=True,
        )
    return Label(out.name, song.bpm, key, scale, style, song.instruments)


def plan(count: int, seed: int = SEED) -> list[dict[str, object]]:
    """Deterministic list of clip specs: every key equally often, styles shuffled across keys."""
    rng = random.Random(seed)
    styles = (STYLES * (count // len(STYLES) + 1))[:count]
    rng.shuffle(styles)
    # Stratify tempi inside each style's range so the set reaches both ends of 60-180 BPM.
    seen = {style: 0 for style in STYLES}
    per_style = {style: max(1, styles.count(style)) for style in STYLES}
    specs: list[dict[str, object]] = []
    keys: list[tuple[str, str]] = []
    for i in range(count):
        if i % 24 == 0:
            keys = [(k, s) for s in ("major", "minor") for k in NOTE_NAMES]
            rng.shuffle(keys)
        key, scale = keys[i % 24]
        lo, hi = TEMPO_RANGES[styles[i]]
        k = seen[styles[i]]
        seen[styles[i]] += 1
        bpm = round(lo + (hi - lo) * (k + rng.random()) / per_style[styles[i]])
        name = f"{i:03d}_{styles[i]}.mp3"
        specs.append(
            {
                "out": name,
                "style": styles[i],
                "bpm": float(bpm),
                "key": key,
                "scale": scale,
                "seed": seed + i,
            }
        )
    return specs


def _render_spec(out_dir: Path, spec: dict[str, object]) -> Label:
    return render_clip(
        out_dir / str(spec["out"]),
        style=str(spec["style"]),
        bpm=float(spec["bpm"]),  # type: ignore[arg-type]
        key=str(spec["key"]),
        scale=str(spec["scale"]),
        seconds=CLIP_SECONDS,
        seed=int(spec["seed"]),
    )  # type: ignore[call-overload]


def ensure_dataset(
    out_dir: Path = DEFAULT_OUT, count: int = DEFAULT_COUNT, seed: int = SEED
) -> list[Label]:
    """Return the labels, generating the clips first when missing or from an older generator."""
    index = out_dir / "labels.json"
    if index.exists():
        data = json.loads(index.read_text())
        if (
            data.get("version") == GENERATOR_VERSION
            and data.get("count") == count
            and data.get("seed", SEED) == seed
        ):
            labels = [Label(**item) for item in data["clips"]]
            if all((out_dir / lab.file).exists() for lab in labels):
                return labels
    require_tools()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / ".gitignore").write_text("*\n")  # generated data never goes into git
    specs = plan(count, seed)
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=2) as pool:
        labels = list(pool.map(_render_spec, [out_dir] * len(specs), specs))
    elapsed = time.monotonic() - started
    print(f"generated {len(labels)} clips in {elapsed:.1f} s", file=sys.stderr)
    payload = {
        "version": GENERATOR_VERSION,
        "count": count,
        "seed": seed,
        "clips": [asdict(lab) for lab in labels],
    }
    index.write_text(json.dumps(payload, indent=1))
    return labels


def main(argv: list[str] | None = None) -> int:
    """CLI: python -m bench.dataset [--out DIR] [--count N]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=SEED, help="another seed gives a held-out set")
    args = parser.parse_args(argv)
    labels = ensure_dataset(args.out, args.count, args.seed)
    print(f"{len(labels)} clips in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
