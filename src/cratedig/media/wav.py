"""Write float PCM as a 24-bit WAV file without another tool, and read a PCM WAV back."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from cratedig.media.decode import PCM, decode_pcm, to_mono
from cratedig.media.errors import MediaError

_FULL_SCALE_24 = 2**23
_CHUNK_FRAMES = 1 << 16


def write_wav24(path: Path, samples: PCM, sample_rate: int) -> None:
    """Write (frames, channels) float samples in [-1, 1] as 24-bit little-endian PCM."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(samples.shape[1])
        out.setsampwidth(3)
        out.setframerate(sample_rate)
        # A chunk at a time: the float64 and int32 copies of a long clip would dwarf it.
        for start in range(0, samples.shape[0], _CHUNK_FRAMES):
            out.writeframes(_pack24(samples[start : start + _CHUNK_FRAMES]))


def _pack24(samples: PCM) -> bytes:
    ints = np.clip(
        np.rint(samples.astype(np.float64) * _FULL_SCALE_24), -_FULL_SCALE_24, _FULL_SCALE_24 - 1
    ).astype("<i4")
    # Keep the low three bytes of each little-endian int32: that is 24-bit PCM.
    return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


def read_wav(path: Path, *, mono: bool = False) -> tuple[PCM, int]:
    """Float samples shaped (frames, channels), or (frames,) mixed down with `mono`, and the
    sample rate of a WAV file.

    8/16/24/32-bit integer PCM (what write_wav24 and most tools write) is read here in
    numpy, a chunk at a time into the one array returned; any other WAV (float samples,
    extensible headers) goes through ffmpeg at 48 kHz.
    """
    try:
        with wave.open(str(path), "rb") as source:
            return _read_integer_pcm(source, path, mono), source.getframerate()
    except (wave.Error, EOFError, RuntimeError):  # wave raises RuntimeError on broken chunks
        decoded = decode_pcm(path)
        return (to_mono(decoded) if mono else decoded), 48000


def _read_integer_pcm(source: wave.Wave_read, path: Path, mono: bool) -> PCM:
    width, channels = source.getsampwidth(), source.getnchannels()
    if channels < 1 or width not in (1, 2, 3, 4):
        raise MediaError(f"{path.name}: WAV with {channels} channels of {width}-byte samples")
    # A header may claim more frames than the file holds: never allocate past the file.
    frames = min(source.getnframes(), path.stat().st_size // (width * channels))
    out = np.empty((frames,) if mono else (frames, channels), dtype=np.float32)
    filled = 0
    while filled < frames:
        raw = source.readframes(min(_CHUNK_FRAMES, frames - filled))
        if not raw:
            break
        block = _pcm_from_ints(raw, width).reshape(-1, channels)
        out[filled : filled + block.shape[0]] = to_mono(block) if mono else block
        filled += block.shape[0]
    return out[:filled]


def _pcm_from_ints(raw: bytes, width: int) -> PCM:
    """Little-endian integer PCM of `width` bytes per sample as float32 in [-1, 1)."""
    if width == 1:  # 8-bit WAV is unsigned
        values = np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0
        return np.asarray(values / 128.0, dtype=np.float32)
    if width == 3:
        # Read each 3-byte sample as the top of a little-endian int32 that starts one byte
        # earlier (a strided view over the bytes after one zero byte): the shift back
        # sign-extends it. No per-byte arithmetic.
        count = len(raw) // 3
        shifted = np.frombuffer(b"\0" + raw[: count * 3], np.uint8)
        ints = np.ndarray((count,), dtype="<i4", buffer=shifted, strides=(3,)) >> 8
        pcm = ints.astype(np.float32)
        pcm *= np.float32(1.0 / _FULL_SCALE_24)
        return pcm
    kind = "<i2" if width == 2 else "<i4"
    scale = np.float32(1.0 / 2 ** (8 * width - 1))
    return np.asarray(np.frombuffer(raw, kind) * scale, dtype=np.float32)
