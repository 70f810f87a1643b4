"""Deterministic tune / report split: a clip's piece decides its part, by hash."""

from __future__ import annotations

import hashlib

TUNE = "tune"
REPORT = "report"


def part_of(set_name: str, group: str) -> str:
    """'tune' or 'report' for a piece; every excerpt of one piece lands in the same part."""
    digest = hashlib.sha256(f"{set_name}\0{group}".encode()).digest()
    return TUNE if digest[0] % 2 == 0 else REPORT
