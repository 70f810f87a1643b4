"""The tune/report split is deterministic, disjoint and keeps a piece's excerpts together."""

from __future__ import annotations

from bench.evaluation.split import REPORT, TUNE, part_of


def test_split_is_deterministic_and_balanced() -> None:
    groups = [f"piece-{i}" for i in range(400)]
    first = [part_of("generated", g) for g in groups]
    assert first == [part_of("generated", g) for g in groups]
    assert set(first) == {TUNE, REPORT}
    assert 0.4 < first.count(REPORT) / len(first) < 0.6


def test_parts_are_disjoint_and_cover_every_piece() -> None:
    groups = [f"piece-{i}" for i in range(200)]
    tune = {g for g in groups if part_of("debian", g) == TUNE}
    report = {g for g in groups if part_of("debian", g) == REPORT}
    assert not tune & report
    assert tune | report == set(groups)


def test_the_set_name_reshuffles_the_split() -> None:
    groups = [f"piece-{i}" for i in range(100)]
    assert [part_of("a", g) for g in groups] != [part_of("b", g) for g in groups]
