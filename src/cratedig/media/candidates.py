"""How confidence spreads over an estimator's alternative readings (tempo, key)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def relative_likelihoods(scores: F64, temperature: float) -> F64:
    """exp((score - best) / temperature): 1 for the best reading, less for the others.

    Scaling the best reading's confidence by these gives every alternative a confidence on
    the same footing, so a near-tie (a tempo and its double) shows as two similar figures.
    """
    values = np.asarray(scores, dtype=np.float64)
    return np.asarray(np.exp((values - values.max()) / temperature), dtype=np.float64)
