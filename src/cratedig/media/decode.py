"""Decode any audio or video file once into float32 PCM held in memory."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from cratedig.media.children import Child, ChildLimits
from cratedig.media.ffmpeg import DEFAULT_LIMITS, ffmpeg_command

PCM = npt.NDArray[np.float32]
_UNKNOWN_LENGTH_SECONDS = 60.0  # first buffer when the probe gave no duration


def decode_pcm(
    path: Path,
    *,
    sample_rate: int = 48000,
    channels: int = 2,
    max_seconds: float | None = None,
    source_channels: int = 0,
    expected_seconds: float = 0.0,
    limits: ChildLimits = DEFAULT_LIMITS,
) -> PCM:
    """Decode the first audio stream to float32 samples shaped (frames, channels).

    A mono source is duplicated at full level into every channel (ffmpeg's own upmix
    would lower it by 3 dB); other layouts are mixed by ffmpeg. The samples are read straight
    into one array sized from `expected_seconds` (the probed length), so the whole clip is
    never also held as bytes.
    """
    decode_channels = 1 if source_channels == 1 else channels
    args = ["-i", str(path), "-map", "0:a:0", "-vn", "-sn", "-dn"]
    if max_seconds is not None:
        args += ["-t", f"{max_seconds:.3f}"]
    # fmt: off
    args += [
        "-ac", str(decode_channels), "-ar", str(sample_rate),
        "-f", "f32le", "-c:a", "pcm_f32le", "pipe:1",
    ]
    # fmt: on
    child = Child(
        ffmpeg_command(args), what=f"decoding {path.name}", limits=limits, stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        seconds = expected_seconds or _UNKNOWN_LENGTH_SECONDS
        samples = _read_frames(child.stdout, decode_channels, int((seconds + 1) * sample_rate))
    except BaseException:
        child.kill()
        raise
    child.check()
    if decode_channels != channels:
        samples = np.repeat(samples, channels, axis=1)
    return samples


def _read_frames(stream: IO[bytes], channels: int, capacity: int) -> PCM:
    """Read float32 frames from `stream` into an array that doubles when a guess was short."""
    buffer = np.empty((max(capacity, 1), channels), dtype=np.float32)
    filled = 0  # bytes
    while True:
        view = buffer.data.cast("B")
        if filled == view.nbytes:
            grown = np.empty((buffer.shape[0] * 2, channels), dtype=np.float32)
            grown[: buffer.shape[0]] = buffer
            buffer = grown
            continue
        count = stream.readinto(view[filled:])  # type: ignore[attr-defined]
        if not count:
            break
        filled += count
    frames: PCM = buffer[: filled // (4 * channels)]
    return frames


def to_mono(samples: PCM) -> PCM:
    """Average the channels into one."""
    if samples.ndim == 1:
        return samples
    # Channel by channel: a reduction along the short interleaved axis (`mean(axis=1)`)
    # measured 8x slower than these whole-column adds.
    mono: PCM = samples[:, 0].astype(np.float32, copy=True)
    for channel in range(1, samples.shape[1]):
        mono += samples[:, channel]
    mono *= np.float32(1.0 / samples.shape[1])
    return mono
