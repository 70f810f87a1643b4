"""Build the toolkit's ProcessOptions from the service's MediaSettings."""

from __future__ import annotations

from cratedig.media.children import ChildLimits
from cratedig.media.encode import EncodeSettings
from cratedig.media.process import ProcessOptions
from cratedig.media.waveform import WaveformStyle
from cratedig.media_settings import MediaSettings, parse_colour


def process_options(media: MediaSettings) -> ProcessOptions:
    """Translate settings (strings, flat fields) into the toolkit's typed options."""
    return ProcessOptions(
        normalize=media.normalize,
        target_lufs=media.target_lufs,
        max_true_peak_dbtp=media.max_true_peak_dbtp,
        max_duration_seconds=media.max_duration_seconds,
        encode=EncodeSettings(
            mp3_bitrate_kbps=media.mp3_bitrate_kbps,
            aac_bitrate_kbps=media.aac_bitrate_kbps,
            aac_coder=media.aac_coder,
            hls_segment_seconds=media.hls_segment_seconds,
        ),
        waveform_columns=media.waveform_columns,
        waveform_style=WaveformStyle(
            width=media.waveform_width,
            height=media.waveform_height,
            color=parse_colour(media.waveform_color),
            background=parse_colour(media.waveform_background),
            transparent=media.waveform_transparent,
        ),
        max_video_pixels=media.max_video_pixels,
        limits=child_limits(media),
    )


def child_limits(media: MediaSettings) -> ChildLimits:
    """The time and memory every ffmpeg and ffprobe child gets (CRATEDIG_MEDIA__FFMPEG_*)."""
    return ChildLimits(media.ffmpeg_timeout_seconds, media.ffmpeg_memory_mb)
