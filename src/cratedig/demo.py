"""A generated demo clip (video + a simple groove) so `make run` has something to process."""

from __future__ import annotations

from pathlib import Path

from cratedig.media.ffmpeg import run_ffmpeg

DEMO_BPM = 120
DEMO_SECONDS = 15

# A backbeat at 120 BPM (0.5 s beats): kick on 1 and 3, snare on 2 and 4, hats on the
# eighths, an A-minor triad and a bass pulse on every beat.
GROOVE_EXPRESSION = (
    "0.5*sin(2*PI*55*t)*exp(-14*mod(t,1))"
    "+0.2*(2*random(0)-1)*exp(-22*mod(t+0.5,1))"
    "+0.08*(2*random(1)-1)*exp(-70*mod(t,0.25))"
    "+0.08*(sin(2*PI*220*t)+sin(2*PI*261.63*t)+sin(2*PI*329.63*t))"
    "+0.15*sin(2*PI*110*t)*exp(-3*mod(t,0.5))"
)


def make_demo_clip(path: Path, seconds: int = DEMO_SECONDS) -> Path:
    """Write a small MP4 (test pattern video + groove audio) to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # fmt: off
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc2=size=540x960:rate=30:duration={seconds}",
        "-f", "lavfi", "-i", f"aevalsrc='{GROOVE_EXPRESSION}':s=44100:d={seconds}",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "160k", "-shortest",
        str(path),
    ], what="making the demo clip")
    # fmt: on
    return path
