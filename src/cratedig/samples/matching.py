"""How a sample is matched to a producer's tempo and key: the stretch ratio, the nearest
pitch shift, the loop to cut, and the name of the result. No I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cratedig.media.key import KEY_NAMES
from cratedig.media.render import Loop, Stretch
from cratedig.models import Sample

MIN_RATIO, MAX_RATIO = 0.5, 2.0
LOOP_BARS = (1, 2, 4, 8)
# Part of every render's cache key: a change in how renders are made makes new ones.
RENDER_VERSION = "1"


class NotMatchableError(Exception):
    """The sample cannot be rendered as asked: a stable code, a message, the field at fault."""

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True)
class Match:
    """What a producer asked for (all optional; the key in its stored spelling)."""

    bpm: float | None = None
    key: str | None = None
    scale: str | None = None
    bars: int | None = None

    @property
    def asked(self) -> bool:
        """Anything beyond the sample as it is."""
        return any(value is not None for value in (self.bpm, self.key, self.scale, self.bars))


@dataclass(frozen=True)
class Plan:
    """How to render one sample for a Match, and what the result is."""

    stretch: Stretch | None
    loop: Loop | None
    bpm: float | None
    key: str | None
    scale: str | None
    bars: int | None
    cache_text: str

    def digest(self, fmt: str) -> str:
        """The render's cache name for `fmt` (same plan, same sample generation: same file)."""
        return hashlib.sha256(f"{fmt}|{self.cache_text}".encode()).hexdigest()[:24]


def key_shift(key: str, scale: str | None, asked_key: str, asked_scale: str | None) -> int:
    """The nearest shift (-5..+6 semitones) landing `key` on the asked key, or on its
    relative when the scales differ (a minor sample asked for C major lands on A minor)."""
    target = KEY_NAMES.index(asked_key)
    if scale is not None and asked_scale is not None and asked_scale != scale:
        target = (target + 9) % 12 if asked_scale == "major" else (target + 3) % 12
    difference = (target - KEY_NAMES.index(key)) % 12
    return difference - 12 if difference > 6 else difference


def plan(sample: Sample, match: Match) -> Plan:
    """The render of `sample` for `match`; NotMatchableError when it cannot be."""
    bpm, key, scale = sample.bpm, sample.key, sample.scale
    ratio = 1.0
    if match.bpm is not None:
        if not bpm:
            raise NotMatchableError("no_tempo", f"sample {sample.id} has no tempo to match", "bpm")
        ratio = match.bpm / bpm
        if not MIN_RATIO <= ratio <= MAX_RATIO:
            raise NotMatchableError(
                "tempo_out_of_range",
                f"{match.bpm:g} BPM is {ratio:.2f} times the sample's {bpm:g} BPM:"
                f" the stretch must stay within {MIN_RATIO:g}..{MAX_RATIO:g}",
                "bpm",
            )
        bpm = match.bpm
    shift = 0
    if match.key is not None:
        if key is None:
            raise NotMatchableError("no_key", f"sample {sample.id} has no key to match", "key")
        shift = key_shift(key, scale, match.key, match.scale)
        key = KEY_NAMES[(KEY_NAMES.index(key) + shift) % 12]
    elif match.scale is not None:
        raise NotMatchableError("validation_error", "scale needs key", "scale")
    loop = None if match.bars is None else best_loop(sample, match.bars)
    stretch = None if round(ratio, 4) == 1.0 and shift == 0 else Stretch(ratio, shift)
    cache = "|".join(
        [
            RENDER_VERSION,
            f"{sample.bpm or 0:.2f}",
            f"{bpm or 0:.2f}",
            str(shift),
            "-" if loop is None else f"{match.bars}:{loop.start:.6f}:{loop.end:.6f}",
        ]
    )
    return Plan(stretch, loop, bpm, key, scale, match.bars, cache)


def best_loop(sample: Sample, bars: int) -> Loop:
    """The analysis' best loop of `bars` bars (its `loops` lists the best first)."""
    # `loops` comes with the beat analysis (migration 0006); a sample without it has none.
    loops: Sequence[Mapping[str, Any]] | None = getattr(sample, "loops", None)
    for found in loops or ():
        if found.get("bars") == bars:
            start, end = float(found["start"]), float(found["end"])
            if 0 <= start < end:
                return Loop(start, end)
    raise NotMatchableError("no_loop", f"sample {sample.id} has no {bars}-bar loop", "bars")
