"""Write float PCM as a 24-bit WAV file without another tool."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from cratedig.media.decode import PCM

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
