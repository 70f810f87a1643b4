"""Encode the finished WAV to MP3 and to HLS; both run as parallel ffmpeg processes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from cratedig.media.children import Child, ChildLimits
from cratedig.media.ffmpeg import DEFAULT_LIMITS, start_ffmpeg
from cratedig.media.hls import SEGMENT_PATTERN, segment_times

AAC_PRIMING_SAMPLES = 1024  # ffmpeg's AAC encoder prepends one frame of priming


@dataclass(frozen=True)
class EncodeSettings:
    """Bitrates and HLS segmenting."""

    mp3_bitrate_kbps: int = 320
    aac_bitrate_kbps: int = 320
    aac_coder: str = "fast"  # "twoloop" is ~2.4x slower for no audible gain at 320 kbps
    # Mid/side search costs ~40 % of the AAC encode; at 320 kbps plain L/R is transparent.
    aac_mid_side: bool = False
    hls_segment_seconds: float = 2.0


def start_mp3(
    wav: Path, mp3: Path, settings: EncodeSettings, limits: ChildLimits = DEFAULT_LIMITS
) -> Child:
    """Start a constant-bitrate MP3 encode of `wav` (LAME tag carries delay and padding)."""
    # fmt: off
    return start_ffmpeg([
        "-i", str(wav), "-map", "0:a",
        "-c:a", "libmp3lame", "-b:a", f"{settings.mp3_bitrate_kbps}k",
        "-write_xing", "1", "-id3v2_version", "3",
        str(mp3),
    ], what="MP3 encode", limits=limits)
    # fmt: on


def start_hls(
    wav: Path,
    hls_dir: Path,
    frames: int,
    sample_rate: int,
    settings: EncodeSettings,
    limits: ChildLimits = DEFAULT_LIMITS,
) -> Child:
    """Start one AAC encode that ffmpeg cuts into MPEG-TS segments at planned times."""
    encoded_seconds = (frames + AAC_PRIMING_SAMPLES) / sample_rate
    times = segment_times(encoded_seconds, settings.hls_segment_seconds)
    # fmt: off
    args = [
        "-i", str(wav), "-map", "0:a",
        "-c:a", "aac", "-aac_coder", settings.aac_coder,
        "-aac_ms", "1" if settings.aac_mid_side else "0",
        "-b:a", f"{settings.aac_bitrate_kbps}k", "-ar", str(sample_rate), "-ac", "2",
        "-f", "segment", "-segment_format", "mpegts",
        "-segment_list", str(hls_dir / "segments.csv"), "-segment_list_type", "csv",
    ]
    # fmt: on
    if times:
        args += ["-segment_times", ",".join(f"{t:.6f}" for t in times)]
    else:
        args += ["-segment_time", str(math.ceil(encoded_seconds) + 1)]
    return start_ffmpeg([*args, str(hls_dir / SEGMENT_PATTERN)], what="HLS encode", limits=limits)


class EncoderGroup:
    """Background ffmpeg processes: waited for on success, killed on any failure."""

    def __init__(self) -> None:
        self._running: list[Child] = []

    def start(self, child: Child) -> None:
        """Track a started encoder (its `what` names it in error messages)."""
        self._running.append(child)

    def finish_all(self) -> None:
        """Wait for every encoder; raise ToolError for the first that failed."""
        while self._running:
            self._running[0].check()
            self._running.pop(0)

    def __enter__(self) -> EncoderGroup:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for child in self._running:
            child.kill()
        self._running.clear()
