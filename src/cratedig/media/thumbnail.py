"""Pick a representative frame of a video as a JPEG thumbnail."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cratedig.media.ffmpeg import start_ffmpeg

# Skip the opening seconds (title cards, fades) but stay early enough for short clips.
_SEEK_FRACTION = 0.3
_CANDIDATE_FRAMES = 30
MAX_WIDTH = 720


def start_thumbnail(video: Path, out: Path, duration_seconds: float) -> subprocess.Popen[bytes]:
    """Start an ffmpeg that writes the most representative of a few frames as a JPEG."""
    seek = max(0.0, duration_seconds * _SEEK_FRACTION)
    # fmt: off
    return start_ffmpeg([
        "-ss", f"{seek:.3f}", "-i", str(video), "-map", "0:v:0", "-an",
        "-vf", f"thumbnail={_CANDIDATE_FRAMES},scale='min({MAX_WIDTH},iw)':-2",
        "-frames:v", "1", "-q:v", "3",
        str(out),
    ])
    # fmt: on
