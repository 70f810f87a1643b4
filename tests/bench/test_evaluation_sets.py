"""The development sets are drawn the same way on every machine."""

from __future__ import annotations

from bench.evaluation import set_music21


def test_the_music21_draw_does_not_depend_on_where_music21_is_installed() -> None:
    tail = "palestrina/Agnus_I_73.krn"
    here = f"/work/main/.venv/lib/python3.11/site-packages/music21/corpus/{tail}"
    there = f"/tmp/other-venv/lib/python3.12/site-packages/music21/corpus/{tail}"
    assert set_music21._hash(here) == set_music21._hash(there)
    assert set_music21._hash(here) != set_music21._hash(here.replace("Agnus_I", "Agnus_II"))
    # Training variants hash the path with a suffix: the same rule applies.
    assert set_music21._hash(here + "\0variant 1") == set_music21._hash(there + "\0variant 1")
