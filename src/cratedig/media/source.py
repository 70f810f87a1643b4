"""Open an input file: probe it, refuse what cannot become a sample, decode it once."""

from __future__ import annotations

from pathlib import Path

from cratedig.media.children import ChildLimits
from cratedig.media.decode import PCM, decode_pcm
from cratedig.media.errors import MediaError
from cratedig.media.ffmpeg import DEFAULT_LIMITS, MediaInfo, probe, require_tools

SAMPLE_RATE = 48000
CHANNELS = 2


def check_input(info: MediaInfo, path: Path, max_duration_seconds: float) -> None:
    """Refuse inputs that cannot become a sample, with one clear line each."""
    if not info.has_audio:
        raise MediaError(f"{path.name}: has no audio stream")
    if info.duration_seconds > max_duration_seconds:
        raise MediaError(
            f"{path.name}: is {info.duration_seconds / 60:.1f} min long; the maximum is "
            f"{max_duration_seconds / 60:.1f} min (CRATEDIG_MEDIA__MAX_DURATION_SECONDS)"
        )


def load_audio(
    path: Path, max_duration_seconds: float, limits: ChildLimits = DEFAULT_LIMITS
) -> tuple[MediaInfo, PCM]:
    """Probe, validate and decode a file to 48 kHz stereo float PCM."""
    require_tools()
    info = probe(path, limits)
    check_input(info, path, max_duration_seconds)
    # Decode a little past the limit so a file whose header lies about its length is caught.
    samples = decode_pcm(
        path,
        sample_rate=SAMPLE_RATE,
        channels=CHANNELS,
        max_seconds=max_duration_seconds + 1,
        source_channels=info.audio_channels,
        expected_seconds=min(info.duration_seconds, max_duration_seconds + 1),
        limits=limits,
    )
    if samples.shape[0] == 0:
        raise MediaError(f"{path.name}: audio stream decodes to nothing")
    if samples.shape[0] > max_duration_seconds * SAMPLE_RATE:
        raise MediaError(f"{path.name}: longer than the maximum of {max_duration_seconds:.0f} s")
    return info, samples
