"""Segment planning and playlist rendering."""

from __future__ import annotations

import itertools

import pytest

from cratedig.media.hls import Segment, render_playlist, segment_times


def _durations(total: float, cuts: list[float]) -> list[float]:
    edges = [0.0, *cuts, total]
    return [b - a for a, b in itertools.pairwise(edges)]


@pytest.mark.parametrize("total", [0.5, 2.0, 2.0213, 7.3, 30.0213, 30.4, 30.6, 59.99, 600.02])
def test_segments_are_at_most_the_target_and_never_a_runt(total: float) -> None:
    durations = _durations(total, segment_times(total, 2.0))
    assert sum(durations) == pytest.approx(total)
    assert max(durations) <= 2.04 + 1e-9 or (len(durations) == 1 and total <= 2.05)
    if len(durations) > 1:
        assert min(durations) >= 0.5


def test_the_aac_priming_tail_joins_the_segment_before() -> None:
    assert segment_times(30.0213, 2.0) == [2.0 * i for i in range(1, 15)]


def test_a_short_tail_is_split_evenly_with_the_segment_before() -> None:
    cuts = segment_times(30.3, 2.0)
    assert cuts[:-1] == [2.0 * i for i in range(1, 15)]
    assert cuts[-1] == pytest.approx(28.0 + 2.3 / 2)


def test_playlist_is_vod_and_target_duration_rounds_the_longest_segment() -> None:
    text = render_playlist([Segment("segment_000.ts", 2.005), Segment("segment_001.ts", 1.4)])
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U" and lines[-1] == "#EXT-X-ENDLIST"
    assert "#EXT-X-TARGETDURATION:2" in lines
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in lines
    assert lines[-3:-1] == ["#EXTINF:1.400000,", "segment_001.ts"]
