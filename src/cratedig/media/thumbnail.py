"""Pick a representative frame of a video as a JPEG thumbnail."""

from __future__ import annotations

from pathlib import Path

from cratedig.media.children import Child, ChildLimits
from cratedig.media.ffmpeg import DEFAULT_LIMITS, MediaInfo, start_ffmpeg

# Skip the opening seconds (title cards, fades) but stay early enough for short clips.
_SEEK_FRACTION = 0.3
_CANDIDATE_FRAMES = 30
MAX_WIDTH = 720
# 4K UHD (3840x2160) and DCI 4K (4096x2160) either way up fit; 8K and hostile sizes do not.
MAX_VIDEO_PIXELS = 4096 * 4096
# Frame threads each hold a decoded frame: a fixed count keeps memory independent of the host.
_DECODER_THREADS = 2


def thumbnail_allowed(info: MediaInfo, max_pixels: int = MAX_VIDEO_PIXELS) -> bool:
    """Whether the video may be decoded: its probed frame size is known and within the limit."""
    return info.has_video and 0 < info.pixels <= max_pixels


def start_thumbnail(
    video: Path,
    out: Path,
    duration_seconds: float,
    *,
    max_pixels: int = MAX_VIDEO_PIXELS,
    limits: ChildLimits = DEFAULT_LIMITS,
) -> Child:
    """Start an ffmpeg that writes the most representative of a few frames as a JPEG."""
    seek = max(0.0, duration_seconds * _SEEK_FRACTION)
    # Frames are scaled down before the thumbnail filter keeps its 30 candidates, so only
    # small frames pile up; the decoder refuses a frame over `max_pixels` (a stream whose size
    # changes after the probed first frame) instead of allocating it.
    # fmt: off
    return start_ffmpeg([
        "-threads", str(_DECODER_THREADS), "-max_pixels", str(max_pixels),
        "-ss", f"{seek:.3f}", "-i", str(video), "-map", "0:v:0", "-an",
        "-vf", f"scale='min({MAX_WIDTH},iw)':-2,thumbnail={_CANDIDATE_FRAMES}",
        "-frames:v", "1", "-q:v", "3",
        str(out),
    ], what="thumbnail", limits=limits)
    # fmt: on
