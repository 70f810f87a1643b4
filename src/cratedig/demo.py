"""A generated demo clip (video + a simple groove) so `make run` has something to process."""

from __future__ import annotations

from pathlib import Path

from cratedig.media.ffmpeg import run_ffmpeg

DEMO_BPM = 120
DEMO_SECONDS = 15

# A kick on every beat, a hat on the off-beats and an A-minor triad; 120 BPM = 0.5 s beats.
GROOVE_EXPRESSION = (
    "0.6*sin(2*PI*55*t)*exp(-18*mod(t,0.5))"
    "+0.15*random(0)*exp(-60*mod(t+0.25,0.5))"
    "+0.08*(sin(2*PI*220*t)+sin(2*PI*261.63*t)+sin(2*PI*329.63*t))"
)


def make_demo_clip(path: Path, seconds: int = DEMO_SECONDS) -> Path:
    """Write a small MP4 (test pattern video + groove audio) to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=540x960:rate=30:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc='{GROOVE_EXPRESSION}':s=44100:d={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "160k",
            "-shortest",
            str(path),
        ],
        what="making the demo clip",
    )
    return path
