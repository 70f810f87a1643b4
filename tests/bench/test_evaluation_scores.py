"""The evaluation's scoring rules on hand-made cases."""

from __future__ import annotations

from typing import ClassVar

import pytest

from bench.evaluation import scores


class TestTempo:
    def test_acc1_accepts_within_four_percent_only(self) -> None:
        assert scores.acc1(120.0, 124.7)
        assert scores.acc1(120.0, 115.3)
        assert not scores.acc1(120.0, 125.0)
        assert not scores.acc1(120.0, 60.0)

    @pytest.mark.parametrize("estimate", [240.0, 60.0, 360.0, 40.0, 61.5])
    def test_acc2_accepts_octave_and_triple_errors(self, estimate: float) -> None:
        assert scores.acc2(120.0, estimate)
        assert not scores.acc1(120.0, estimate)

    @pytest.mark.parametrize("estimate", [180.0, 80.0, None, 0.0])
    def test_acc2_refuses_other_ratios_and_no_answer(self, estimate: float | None) -> None:
        assert not scores.acc2(120.0, estimate)


class TestKey:
    @pytest.mark.parametrize(
        ("estimate", "expected"),
        [
            (("C", "major"), 1.0),
            (("G", "major"), 0.5),  # dominant
            (("F", "major"), 0.5),  # subdominant
            (("A", "minor"), 0.3),  # relative minor
            (("C", "minor"), 0.2),  # parallel minor
            (("D", "major"), 0.0),
            (("E", "minor"), 0.0),
            ((None, None), 0.0),
        ],
    )
    def test_mirex_weights_from_c_major(
        self, estimate: tuple[str | None, str | None], expected: float
    ) -> None:
        assert scores.mirex(("C", "major"), estimate) == expected

    def test_mirex_from_a_minor(self) -> None:
        assert scores.mirex(("A", "minor"), ("C", "major")) == 0.3
        assert scores.mirex(("A", "minor"), ("E", "minor")) == 0.5
        assert scores.mirex(("A", "minor"), ("A", "major")) == 0.2

    def test_enharmonic_spellings_are_one_key(self) -> None:
        assert scores.key_exact(("C#", "minor"), ("Db", "minor"))
        assert scores.key_exact(("Bb", "major"), ("B-", "major"))
        assert not scores.key_exact(("Bb", "major"), ("Bb", "minor"))


class TestBeats:
    GRID: ClassVar[list[float]] = [5.0 + 0.5 * k for k in range(20)]

    def test_perfect_and_in_window_beats_score_one(self) -> None:
        assert scores.f_measure(self.GRID, self.GRID) == 1.0
        assert scores.f_measure(self.GRID, [t + 0.069 for t in self.GRID]) == 1.0

    def test_beats_outside_the_window_miss(self) -> None:
        assert scores.f_measure(self.GRID, [t + 0.08 for t in self.GRID]) == 0.0

    def test_double_tempo_halves_precision(self) -> None:
        doubled = sorted(self.GRID + [t + 0.25 for t in self.GRID])
        # precision 1/2, recall 1: F = 2/3
        assert scores.f_measure(self.GRID, doubled) == pytest.approx(2 / 3)

    def test_one_estimate_matches_one_reference_only(self) -> None:
        ref = [6.0, 6.1]
        assert scores.f_measure(ref, [6.05]) == pytest.approx(2 * 1.0 * 0.5 / 1.5)

    def test_first_five_seconds_are_ignored(self) -> None:
        assert scores.f_measure([1.0, 2.0, *self.GRID], [3.3, *self.GRID]) == 1.0

    def test_no_estimate_scores_zero(self) -> None:
        assert scores.f_measure(self.GRID, []) == 0.0


def test_report_gives_beat_figures_overall_and_where_the_tempo_is_right() -> None:
    from bench.evaluation.clips import Clip
    from bench.evaluation.estimators import Estimate
    from bench.evaluation.report import figures

    grid = [i * 0.5 for i in range(50)]
    clip = Clip("c", "g", "c.wav", 120.0, "test", None, None, grid, grid[::4])
    right = Estimate(120.0, None, None, grid, grid[::4])
    halved = Estimate(60.0, None, None, grid[::2], grid[::8])
    out = figures([clip, clip], [right, halved])
    assert out["beat F, tempo right"] == "1.000" and out["downbeat F, tempo right"] == "1.000"
    assert float(out["beat F"]) < 1.0 and float(out["downbeat F"]) < 1.0
    assert figures([clip], [Estimate(120.0, None, None)])["beat F"] == "–"
