"""Write float PCM as a 24-bit WAV file without another tool, and read a PCM WAV back."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from cratedig.media.decode import PCM, decode_pcm, to_mono
from cratedig.media.errors import MediaError
from cratedig.media.workdir import job_directory

_FULL_SCALE_24 = 2**23
_SOURCE_NAME = "audio.wav"


def write_wav24(path: Path, samples: PCM, sample_rate: int) -> None:
    """Write (frames, channels) float samples in [-1, 1] as 24-bit little-endian PCM."""
    ints = np.clip(
        np.rint(samples.astype(np.float64) * _FULL_SCALE_24), -_FULL_SCALE_24, _FULL_SCALE_24 - 1
    ).astype("<i4")
    # Keep the low three bytes of each little-endian int32: that is 24-bit PCM.
    packed = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(samples.shape[1])
        out.setsampwidth(3)
        out.setframerate(sample_rate)
        out.writeframes(packed)


def read_wav(data: bytes, *, mono: bool = False) -> tuple[PCM, int]:
    """Float samples shaped (frames, channels), or (frames,) mixed down with `mono`, and the
    rate of a WAV file's bytes.

    8/16/24/32-bit integer PCM (what write_wav24 and most tools write) is read here in
    numpy; any other WAV (float, extensible headers) goes through ffmpeg at 48 kHz.
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as source:
            width, channels = source.getsampwidth(), source.getnchannels()
            rate = source.getframerate()
            raw = source.readframes(source.getnframes())
    except (wave.Error, EOFError, RuntimeError):  # wave raises RuntimeError on broken chunks
        decoded = _decode_with_ffmpeg(data)
        return (to_mono(decoded) if mono else decoded), 48000
    if channels < 1 or width not in (1, 2, 3, 4):
        raise MediaError(f"WAV with {channels} channels of {width}-byte samples")
    samples = _pcm_from_ints(raw, width).reshape(-1, channels)
    return (to_mono(samples) if mono else samples), rate


def _pcm_from_ints(raw: bytes, width: int) -> PCM:
    """Little-endian integer PCM of `width` bytes per sample as float32 in [-1, 1)."""
    if width == 1:  # 8-bit WAV is unsigned
        values = np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0
        return np.asarray(values / 128.0, dtype=np.float32)
    if width == 3:
        # Read each 3-byte sample as the top of a little-endian int32 that starts one byte
        # earlier (a strided view over the bytes after one zero byte): the shift back
        # sign-extends it. No per-byte arithmetic, so ~20 ms for 30 s of stereo.
        count = len(raw) // 3
        shifted = np.frombuffer(b"\0" + raw[: count * 3], np.uint8)
        ints = np.ndarray((count,), dtype="<i4", buffer=shifted, strides=(3,)) >> 8
        pcm = ints.astype(np.float32)
        pcm *= np.float32(1.0 / _FULL_SCALE_24)
        return pcm
    kind = "<i2" if width == 2 else "<i4"
    scale = np.float32(1.0 / 2 ** (8 * width - 1))
    return np.asarray(np.frombuffer(raw, kind) * scale, dtype=np.float32)


def _decode_with_ffmpeg(data: bytes) -> PCM:
    with job_directory() as work:
        path = work / _SOURCE_NAME
        path.write_bytes(data)
        return decode_pcm(path)
