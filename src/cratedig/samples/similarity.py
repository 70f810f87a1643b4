"""Which published samples sit best beside one: near in tempo (half and double time count),
in a compatible key, then sharing its tags. Pure: the repository fetches the candidates."""

from __future__ import annotations

from collections.abc import Sequence

from cratedig.models import Sample
from cratedig.samples.harmony import compatible_keys
from cratedig.samples.query import TEMPO_MULTIPLES

TEMPO_TOLERANCE = 0.06  # ±6 %: about what a DAW's warp does without a sound of it


def tempo_distance(bpm: float, other: float) -> float:
    """How far `other` is from `bpm` as a fraction of it, at its own, half or double tempo."""
    return min(abs(other * factor - bpm) / bpm for factor in TEMPO_MULTIPLES)


def key_rank(key: str, scale: str, other_key: str | None, other_scale: str | None) -> int:
    """0 the same key, 1 its relative, 2 a fifth up or down, 3 any other (or none)."""
    pairs = compatible_keys(key, scale)  # same, relative, fifth up, fifth down
    found = (other_key, other_scale)
    return (0, 1, 2, 2)[pairs.index(found)] if found in pairs else 3


def ranked(sample: Sample, candidates: Sequence[Sample]) -> list[Sample]:
    """`candidates` best first: nearest tempo (to the percent), closest key, most shared tags."""
    tags = set(sample.tags)

    def order(other: Sample) -> tuple[float, int, int, float]:
        tempo = 1.0
        if sample.bpm and other.bpm:
            tempo = round(tempo_distance(sample.bpm, other.bpm), 2)
        key = 3
        if sample.key and sample.scale:
            key = key_rank(sample.key, sample.scale, other.key, other.scale)
        newest = -other.created_at.timestamp() if other.created_at else 0.0
        return (tempo, key, -len(tags & set(other.tags)), newest)

    return sorted(candidates, key=order)
