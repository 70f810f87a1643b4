"""The field's scoring rules: tempo Acc1/Acc2, key exact and MIREX, beat F-measure."""

from __future__ import annotations

from collections.abc import Sequence

TEMPO_TOLERANCE = 0.04
ACC2_FACTORS = (1.0, 2.0, 0.5, 3.0, 1 / 3)
BEAT_WINDOW = 0.07
# mir_eval's convention: beats in the first seconds are ignored (estimators need a run-in).
BEAT_SKIP_SECONDS = 5.0
PITCH_CLASSES = {
    "C": 0, "B#": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4, "E#": 5,
    "F": 5, "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11,
    "Cb": 11,
}  # fmt: skip


def acc1(truth: float, estimate: float | None) -> bool:
    """Tempo within 4 % of the truth."""
    return _within(truth, estimate, (1.0,))


def acc2(truth: float, estimate: float | None) -> bool:
    """Tempo within 4 % of the truth or of its double, half, triple or third."""
    return _within(truth, estimate, ACC2_FACTORS)


def _within(truth: float, estimate: float | None, factors: Sequence[float]) -> bool:
    if estimate is None or estimate <= 0:
        return False
    return any(abs(estimate / (truth * f) - 1) <= TEMPO_TOLERANCE for f in factors)


def pitch_class(name: str) -> int:
    """Pitch class of a note name written with sharps or flats ('C#', 'Db', 'B-', 'bb')."""
    name = name.strip().replace("-", "b")
    return PITCH_CLASSES[name[:1].upper() + name[1:]]


def key_exact(truth: tuple[str, str], estimate: tuple[str | None, str | None]) -> bool:
    """Same tonic (enharmonics equal) and same mode."""
    return mirex(truth, estimate) == 1.0


def mirex(truth: tuple[str, str], estimate: tuple[str | None, str | None]) -> float:
    """MIREX weighted key score: exact 1, fifth 0.5, relative 0.3, parallel 0.2, else 0."""
    key, scale = estimate
    if key is None or scale is None:
        return 0.0
    t, e = pitch_class(truth[0]), pitch_class(key)
    up = (e - t) % 12
    if scale == truth[1]:
        # A fifth either way: the estimate's tonic is the truth's dominant or subdominant.
        return 1.0 if up == 0 else 0.5 if up in (5, 7) else 0.0
    if up == 0:
        return 0.2
    relative = 9 if truth[1] == "major" else 3
    return 0.3 if up == relative else 0.0


def f_measure(
    reference: Sequence[float], estimate: Sequence[float], window: float = BEAT_WINDOW
) -> float:
    """Beat F-measure: each reference beat matches at most one estimate within ±window s."""
    ref = sorted(t for t in reference if t >= BEAT_SKIP_SECONDS)
    est = sorted(t for t in estimate if t >= BEAT_SKIP_SECONDS)
    if not ref and not est:
        return 1.0
    if not ref or not est:
        return 0.0
    # On a line with one fixed window, matching greedily in time order finds the most pairs.
    hits = i = j = 0
    while i < len(ref) and j < len(est):
        if abs(ref[i] - est[j]) <= window:
            hits, i, j = hits + 1, i + 1, j + 1
        elif est[j] < ref[i]:
            j += 1
        else:
            i += 1
    precision, recall = hits / len(est), hits / len(ref)
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)
