"""Onset peaks: the frames of an onset envelope that stand out as note starts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

F64 = npt.NDArray[np.float64]

# A peak is the strongest frame within +-50 ms: two attacks closer than that are one onset.
PEAK_RADIUS_SECONDS = 0.05


def onset_peaks(onset: F64, fps: float, share: float) -> npt.NDArray[np.int64]:
    """Frames that are the strongest within +-50 ms and above `share` of the loud onsets'
    strength (the 99th percentile)."""
    if onset.size == 0:
        return np.zeros(0, dtype=np.int64)
    radius = max(1, round(PEAK_RADIUS_SECONDS * fps))
    local_max = sliding_window_view(np.pad(onset, radius), 2 * radius + 1).max(axis=1)
    threshold = share * float(np.percentile(onset, 99))
    return np.flatnonzero((onset >= local_max) & (onset > threshold))
