"""Waveform peaks (BBC audiowaveform JSON) and a clean PNG rendering of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from cratedig.media.decode import PCM, to_mono

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class WaveformStyle:
    """How the PNG looks."""

    width: int = 1800
    height: int = 280
    color: tuple[int, int, int, int] = (255, 85, 0, 255)
    background: tuple[int, int, int, int] = (255, 255, 255, 255)
    transparent: bool = False


def column_peaks(mono: npt.NDArray[np.float32], columns: int) -> tuple[FloatArray, FloatArray]:
    """Min and max over `columns` runs of equal length; the last run also takes the remainder."""
    per_column = mono.shape[0] // columns
    grid = mono[: per_column * columns].reshape(columns, per_column)
    low, high = grid.min(axis=1).astype(np.float64), grid.max(axis=1).astype(np.float64)
    rest = mono[per_column * columns :]
    if rest.size:
        low[-1], high[-1] = min(low[-1], float(rest.min())), max(high[-1], float(rest.max()))
    return low, high


def waveform_json(
    samples: PCM, sample_rate: int, columns: int = 1800, bits: int = 8
) -> dict[str, Any]:
    """Min/max pairs per column in audiowaveform's JSON format (version 2, one channel)."""
    mono = to_mono(samples)
    # Exactly `columns` pairs with a whole number of samples each, as the format requires:
    # the few samples left over (fewer than `columns`) fold into the last column.
    columns = min(columns, mono.shape[0])
    spp = mono.shape[0] // columns if columns else 1
    low, high = column_peaks(mono, columns) if columns else (np.zeros(0), np.zeros(0))
    scale = 2 ** (bits - 1)
    low_q = np.clip(np.floor(low * scale), -scale, scale - 1).astype(int)
    high_q = np.clip(np.ceil(high * scale), -scale, scale - 1).astype(int)
    data = np.empty(low_q.size * 2, dtype=int)
    data[0::2], data[1::2] = low_q, high_q
    return {
        "version": 2,
        "channels": 1,
        "sample_rate": sample_rate,
        "samples_per_pixel": spp,
        "bits": bits,
        "length": int(low_q.size),
        "data": data.tolist(),
    }


def render_png(samples: PCM, path: Path, style: WaveformStyle) -> None:
    """Draw the waveform as mirrored min/max bars, scaled so the loudest peak nearly fills it."""
    mono = to_mono(samples)
    width, height = style.width, style.height
    low, high = _pixel_peaks(mono, width)
    loudest = max(float(np.abs(low).max(initial=0.0)), float(np.abs(high).max(initial=0.0)))
    zoom = 0.95 / loudest if loudest > 1e-6 else 1.0
    middle = (height - 1) / 2
    top = np.floor(middle - high * zoom * middle)
    bottom = np.ceil(middle - low * zoom * middle)
    rows = np.arange(height)[:, None]
    mask = (rows >= top[None, :]) & (rows <= bottom[None, :])
    background = (0, 0, 0, 0) if style.transparent else style.background
    pixels = np.empty((height, width, 4), dtype=np.uint8)
    pixels[:] = background
    pixels[mask] = style.color
    Image.fromarray(pixels, "RGBA").save(path, optimize=False, compress_level=6)


def _pixel_peaks(mono: npt.NDArray[np.float32], width: int) -> tuple[FloatArray, FloatArray]:
    """Min/max over `width` equal slices of the clip (fractional slice edges)."""
    if mono.size == 0:
        return np.zeros(width), np.zeros(width)
    edges = np.linspace(0, mono.shape[0], width + 1).astype(int)
    edges[1:] = np.maximum(edges[1:], edges[:-1] + 1)
    edges = np.minimum(edges, mono.shape[0])
    starts = np.minimum(edges[:-1], mono.shape[0] - 1)
    high = np.maximum.reduceat(mono, starts).astype(np.float64)
    low = np.minimum.reduceat(mono, starts).astype(np.float64)
    return low, high
