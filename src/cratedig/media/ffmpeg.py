"""Thin, typed wrappers around the ffmpeg and ffprobe executables."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cratedig.media.children import Child, ChildLimits
from cratedig.media.errors import MediaError, ToolError, ToolLimitError

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
_PROBE_ARGS = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
DEFAULT_LIMITS = ChildLimits()


def require_tools() -> None:
    """Fail with one clear line when ffmpeg or ffprobe is not installed."""
    missing = [tool for tool in (FFMPEG, FFPROBE) if shutil.which(tool) is None]
    if missing:
        raise MediaError(
            f"{' and '.join(missing)} not found on PATH: "
            "install ffmpeg (Debian: apt-get install ffmpeg)"
        )


def ffmpeg_command(args: Sequence[str]) -> list[str]:
    """The ffmpeg command line for `args`: quiet, never prompting, overwriting outputs."""
    return [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]


def run_ffmpeg(
    args: Sequence[str],
    *,
    input_bytes: bytes | None = None,
    what: str,
    limits: ChildLimits = DEFAULT_LIMITS,
) -> bytes:
    """Run ffmpeg with `args` within `limits`; return its stdout or raise ToolError."""
    stdin = subprocess.DEVNULL if input_bytes is None else subprocess.PIPE
    child = Child(
        ffmpeg_command(args), what=what, limits=limits, stdin=stdin, stdout=subprocess.PIPE
    )
    return child.communicate(input_bytes)


def start_ffmpeg(args: Sequence[str], *, what: str, limits: ChildLimits = DEFAULT_LIMITS) -> Child:
    """Start ffmpeg in the background within `limits`, so several encoders can run at once."""
    return Child(ffmpeg_command(args), what=what, limits=limits)


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe says about a file: duration and its first audio and video streams."""

    duration_seconds: float
    format_name: str
    audio_codec: str | None
    audio_channels: int
    audio_sample_rate: int
    video_codec: str | None
    width: int
    height: int

    @property
    def has_audio(self) -> bool:
        """True when the file has an audio stream."""
        return self.audio_codec is not None

    @property
    def has_video(self) -> bool:
        """True when the file has a real video stream (cover art in an MP3 does not count)."""
        return self.video_codec is not None

    @property
    def pixels(self) -> int:
        """Pixels in one frame of the video stream (0 when ffprobe could not tell)."""
        return self.width * self.height


def probe(path: Path, limits: ChildLimits = DEFAULT_LIMITS) -> MediaInfo:
    """Describe a media file with ffprobe; raise MediaError for missing, empty or corrupt files."""
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(f"{path}: is a directory, not a media file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: file is empty")
    try:
        data = probe_json(path, limits)
    except ToolLimitError:
        raise
    except ToolError as exc:
        raise ToolError(
            "ffprobe", f"{path.name} is not a readable media file", exc.stderr_tail
        ) from exc
    return _media_info(data)


def probe_json(path: Path, limits: ChildLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """ffprobe's own JSON description (format and streams) of a file."""
    cmd = [FFPROBE, *_PROBE_ARGS, str(path)]
    child = Child(cmd, what=f"reading {path.name}", limits=limits, stdout=subprocess.PIPE)
    out = child.communicate()
    data: dict[str, Any] = json.loads(out)
    return data


def _media_info(data: dict[str, Any]) -> MediaInfo:
    streams = data.get("streams", [])
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
        ),
        None,
    )
    fmt = data.get("format", {})
    duration = _float(fmt.get("duration")) or _float((audio or {}).get("duration"))
    return MediaInfo(
        duration_seconds=duration,
        format_name=str(fmt.get("format_name", "")),
        # A stream whose codec ffprobe cannot name is still audio: decoding it then fails with
        # ffmpeg's own reason instead of a misleading "has no audio stream".
        audio_codec=(audio.get("codec_name") or "unknown") if audio else None,
        audio_channels=int(audio.get("channels", 0)) if audio else 0,
        audio_sample_rate=int(audio.get("sample_rate", 0)) if audio else 0,
        video_codec=video.get("codec_name") if video else None,
        width=int(video.get("width", 0)) if video else 0,
        height=int(video.get("height", 0)) if video else 0,
    )


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
