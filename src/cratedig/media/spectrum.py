"""Short-time magnitude spectra of long clips, computed a block of frames at a time."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

F32 = npt.NDArray[np.float32]
# Frames per batch of work on a spectrogram: a few MiB at a time instead of the whole clip.
BATCH_FRAMES = 4096
_BATCH_SAMPLES = 1 << 20  # windowed samples per FFT batch (4 MiB, 8 MiB of spectrum)


def magnitude_frames(mono: F32, n_fft: int, hop: int) -> F32:
    """|rfft| of Hann-windowed frames (one row per hop) as float32, shaped (frames, bins).

    The same numbers as windowing every frame at once, without the full-length copy of the
    windowed frames or of their complex spectrum.
    """
    frames = sliding_window_view(mono, n_fft)[::hop]
    window = np.hanning(n_fft).astype(np.float32)
    magnitude = np.empty((frames.shape[0], n_fft // 2 + 1), dtype=np.float32)
    rows = max(1, _BATCH_SAMPLES // n_fft)
    for start in range(0, frames.shape[0], rows):
        batch = frames[start : start + rows] * window
        magnitude[start : start + rows] = np.abs(np.fft.rfft(batch, axis=1))
    return magnitude
