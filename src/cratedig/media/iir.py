"""Cascaded biquad (IIR) filtering in numpy, block by block.

This stands in for scipy.signal.sosfilt, whose package takes longer to import than a short
clip takes to measure. A sample-by-sample recursion in Python is far too slow, so the filter
runs on blocks of samples with matrix products: within a block the output is the input
convolved with the impulse response plus the response to the state left by the block before;
the states at the block ends follow a short recursion solved the same way, a level up.
The states are kept in the real normal form (one 2x2 rotation-and-decay block per pole
pair), whose powers stay well scaled even for the K-weighting's near-double pole at 0.995,
so the result agrees with a long-double recursion as closely as sosfilt does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]

_BLOCK = 32  # samples per block: the fastest here, and powers of the state matrix stay small


@dataclass(frozen=True)
class StateSpace:
    """s[n] = A s[n-1] + B x[n];  y[n] = C s[n-1] + D x[n]."""

    a: Matrix
    b: Matrix
    c: Matrix
    d: float


def sos_filter(sos: tuple[tuple[float, ...], ...], samples: npt.ArrayLike) -> Matrix:
    """Filter (frames, channels) samples through second-order sections (b0 b1 b2 a0 a1 a2)."""
    columns = np.asarray(samples, dtype=np.float64)
    if columns.ndim != 2:
        raise ValueError(f"expected (frames, channels) samples, got shape {columns.shape}")
    channels = np.ascontiguousarray(columns.T)
    return _filter_rows(_normal_form(_cascade(sos)), channels).T


@cache
def _cascade(sos: tuple[tuple[float, ...], ...]) -> StateSpace:
    """One state space for the cascade, each section in transposed direct form II."""
    a, b, c, d = np.zeros((0, 0)), np.zeros(0), np.zeros(0), 1.0
    for section in sos:
        b0, b1, b2, a1, a2 = (value / section[3] for value in (*section[:3], *section[4:]))
        section_a = np.array([[-a1, 1.0], [-a2, 0.0]])
        section_b = np.array([b1 - a1 * b0, b2 - a2 * b0])
        size = a.shape[0]
        a = np.block([[a, np.zeros((size, 2))], [np.outer(section_b, c), section_a]])
        b = np.concatenate([b, section_b * d])
        c = np.concatenate([b0 * c, [1.0, 0.0]])
        d = b0 * d
    return StateSpace(a, b, c, d)


def _normal_form(system: StateSpace) -> StateSpace:
    """The same system in the basis of its (real parts of) eigenvectors."""
    values, vectors = np.linalg.eig(system.a)
    columns: list[Matrix] = []
    for value, vector in zip(values, vectors.T, strict=True):
        if value.imag > 0:
            columns += [vector.real, vector.imag]
        elif value.imag == 0:
            columns.append(vector.real)
    basis = np.array(columns).T
    inverse = np.linalg.inv(basis)
    return StateSpace(inverse @ system.a @ basis, inverse @ system.b, system.c @ basis, system.d)


def _powers(matrix: Matrix, count: int) -> Matrix:
    """matrix**0 … matrix**count, stacked."""
    result = [np.eye(matrix.shape[0])]
    for _ in range(count):
        result.append(matrix @ result[-1])
    return np.array(result)


def _filter_rows(system: StateSpace, rows: Matrix) -> Matrix:
    """Filter each row of (channels, frames) from a zero state."""
    count, frames = rows.shape
    blocks = -(-frames // _BLOCK)
    padded = np.zeros((count, blocks * _BLOCK))
    padded[:, :frames] = rows
    inputs = padded.reshape(count, blocks, _BLOCK)
    powers = _powers(system.a, _BLOCK)
    impulse = np.array([system.d] + [system.c @ p @ system.b for p in powers[: _BLOCK - 1]])
    lag = np.arange(_BLOCK)[None, :] - np.arange(_BLOCK)[:, None]
    convolution = np.where(lag >= 0, impulse[np.clip(lag, 0, None)], 0.0)
    to_end_state = np.array([powers[_BLOCK - 1 - j] @ system.b for j in range(_BLOCK)])
    from_state = np.array([system.c @ p for p in powers[:_BLOCK]]).T
    end_states = _solve_recursion(inputs @ to_end_state, powers[_BLOCK])
    start_states = np.zeros_like(end_states)
    start_states[:, 1:] = end_states[:, :-1]
    output = inputs @ convolution + start_states @ from_state
    filtered: Matrix = output.reshape(count, blocks * _BLOCK)[:, :frames]
    return filtered


def _solve_recursion(drive: Matrix, step: Matrix) -> Matrix:
    """s[k] = step @ s[k-1] + drive[..., k, :] from a zero state, for every k."""
    *lead, length, size = drive.shape
    if length <= _BLOCK:
        states = np.empty_like(drive)
        state = np.zeros((*lead, size))
        for k in range(length):
            state = state @ step.T + drive[..., k, :]
            states[..., k, :] = state
        return states
    # The same block trick one level up: states within a chunk from the chunk's own drive,
    # plus what the state entering the chunk becomes.
    chunks = -(-length // _BLOCK)
    padded = np.zeros((*lead, chunks * _BLOCK, size))
    padded[..., :length, :] = drive
    powers = _powers(step, _BLOCK)
    lag = np.arange(_BLOCK)[:, None] - np.arange(_BLOCK)[None, :]
    within = np.where((lag >= 0)[:, :, None, None], powers[np.clip(lag, 0, None)], 0.0)
    within_matrix = within.transpose(1, 3, 0, 2).reshape(_BLOCK * size, _BLOCK * size)
    local = (padded.reshape(*lead, chunks, _BLOCK * size) @ within_matrix).reshape(
        *lead, chunks, _BLOCK, size
    )
    ends = _solve_recursion(local[..., -1, :], powers[_BLOCK])
    entering = np.zeros_like(ends)
    entering[..., 1:, :] = ends[..., :-1, :]
    carried = powers[1:].transpose(2, 0, 1).reshape(size, _BLOCK * size)
    states = local + (entering @ carried).reshape(local.shape)
    result: Matrix = states.reshape(*lead, chunks * _BLOCK, size)[..., :length, :]
    return result
