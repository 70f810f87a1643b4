"""How a tempo is rounded for people, and the file names downloads carry.

One rounding rule everywhere (listings, file names, the web page): half up to a whole BPM,
floor(bpm + 0.5), which is what JavaScript's Math.round gives; Python's round() would send
80.5 to 80 while a page showed 81.
"""

from __future__ import annotations

import math
import re
import uuid

_UNSAFE = re.compile(r"[^\w.#-]+")
MAX_NAME = 150


def rounded_bpm(bpm: float) -> int:
    """A tempo as shown to people: rounded half up to a whole BPM (80.5 → 81)."""
    return math.floor(bpm + 0.5)


def download_name(
    *,
    bpm: float | None,
    key: str | None,
    scale: str | None,
    creator: str | None,
    sample_id: uuid.UUID,
    ext: str,
    bars: int | None = None,
) -> str:
    """`{bpm}bpm_{key}{scale}_[{n}bars_]{creator}_{id8}.{ext}`, leaving out what is unknown."""
    parts: list[str] = []
    if bpm is not None and bpm > 0:
        parts.append(f"{rounded_bpm(bpm)}bpm")
    if key:
        parts.append(f"{key}{scale or ''}")
    if bars is not None:
        parts.append(f"{bars}bar" if bars == 1 else f"{bars}bars")
    if creator is not None:
        parts.append(creator)
    parts.append(sample_id.hex[:8])
    cleaned = (_UNSAFE.sub("", part).strip(".-") for part in parts)
    return "_".join(part for part in cleaned if part)[:MAX_NAME] + f".{ext}"
