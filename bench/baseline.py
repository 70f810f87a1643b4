"""The straightforward pipeline the issue compares against: one tool call per artifact."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def _ffmpeg(*args: str) -> str:
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-y", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stderr


def _loudnorm_measure(path: Path) -> dict[str, Any]:
    err = _ffmpeg(
        "-i", str(path), "-af", "loudnorm=I=-16:TP=-1.5:print_format=json", "-f", "null", "-"
    )
    result: dict[str, Any] = json.loads(err[err.rindex("{") : err.rindex("}") + 1])
    return result


def run_baseline(path: Path, out: Path) -> dict[str, Any]:
    """WAV, MP3, two loudnorm passes, HLS and waveform as separate calls; librosa analysis."""
    import librosa

    out.mkdir(parents=True, exist_ok=True)
    m = _loudnorm_measure(path)
    second_pass = (
        f"loudnorm=I=-16:TP=-1.5:measured_I={m['input_i']}:"
        f"measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}:"
        f"measured_thresh={m['input_thresh']}:offset={m['target_offset']}"
    )
    for codec, name in (
        ("-c:a pcm_s24le", "audio.wav"),
        ("-c:a libmp3lame -b:a 320k", "audio.mp3"),
    ):
        _ffmpeg(
            "-i",
            str(path),
            "-af",
            second_pass,
            *f"-ar 48000 -ac 2 {codec}".split(),
            str(out / name),
        )
    (out / "hls").mkdir(exist_ok=True)
    _ffmpeg(
        "-i",
        str(out / "audio.mp3"),
        "-c:a",
        "aac",
        "-b:a",
        "320k",
        "-f",
        "hls",
        "-hls_time",
        "2",
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
        str(out / "hls" / "segment_%03d.ts"),
        str(out / "hls" / "playlist.m3u8"),
    )
    _ffmpeg(
        "-i",
        str(out / "audio.mp3"),
        "-filter_complex",
        "showwavespic=s=1800x280:split_channels=0",
        "-frames:v",
        "1",
        str(out / "waveform.png"),
    )
    _waveform_json(out / "audio.mp3", out / "waveform.json")
    y, sr = librosa.load(str(out / "audio.mp3"), sr=22050, mono=True)
    tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1)
    scores = [
        (float(np.corrcoef(np.roll(profile, k), chroma)[0, 1]), k, scale)
        for scale, profile in (("major", _MAJOR), ("minor", _MINOR))
        for k in range(12)
    ]
    _, tonic, scale = max(scores)
    return {"bpm": float(np.atleast_1d(tempo)[0]), "key": _NAMES[tonic], "scale": scale}


def _waveform_json(mp3: Path, target: Path, columns: int = 1800) -> None:
    """Peaks for the web player the usual way: decode to 16-bit PCM again, min/max per column."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(mp3), "-ac", "1", "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    pcm = np.frombuffer(raw, dtype="<i2")
    per_column = pcm.size // columns
    grid = pcm[: per_column * columns].reshape(columns, per_column)
    data = np.stack([grid.min(axis=1) // 256, grid.max(axis=1) // 256], axis=1).ravel()
    payload = {
        "version": 2,
        "channels": 1,
        "sample_rate": 48000,
        "bits": 8,
        "samples_per_pixel": per_column,
        "length": columns,
        "data": data.tolist(),
    }
    target.write_text(json.dumps(payload))
