"""HLS planning and playlists: where to cut segments, and the VOD playlist itself."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

SEGMENT_PATTERN = "segment_%03d.ts"
PLAYLIST_NAME = "playlist.m3u8"
# Players stall on tiny runt segments, such as the classic 21 ms AAC-priming tail. A tail
# up to 2 % of the target joins the segment before it (2.0 s becomes at most 2.04 s); a
# longer one under a quarter of the target is balanced by splitting the last two evenly.
MERGE_TAIL_FRACTION = 0.02
MIN_TAIL_FRACTION = 0.25


@dataclass(frozen=True)
class Segment:
    """One media segment: its file name and its duration in seconds."""

    name: str
    duration: float


def segment_times(total_seconds: float, target: float) -> list[float]:
    """Cut points for segments of `target` seconds, with no runt tail at the end."""
    count = max(1, math.ceil(total_seconds / target - 1e-9))
    cuts = [target * i for i in range(1, count)]
    tail = total_seconds - target * (count - 1)
    if count >= 2 and tail <= target * MERGE_TAIL_FRACTION:
        cuts.pop()
    elif count >= 2 and tail < target * MIN_TAIL_FRACTION:
        cuts.pop()
        start = cuts[-1] if cuts else 0.0
        cuts.append(start + (total_seconds - start) / 2)
    return cuts


def read_segment_list(csv_path: Path) -> list[Segment]:
    """Read the segment muxer's CSV list (name, start, end) into segments."""
    with csv_path.open(newline="") as handle:
        return [Segment(row[0], float(row[2]) - float(row[1])) for row in csv.reader(handle) if row]


def render_playlist(segments: list[Segment]) -> str:
    """A complete VOD media playlist (EXT-X-ENDLIST) for the given segments."""
    # HLS wants every EXTINF, rounded to the nearest integer, at or under the target.
    target = max(1, round(max((s.duration for s in segments), default=1.0)))
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for segment in segments:
        lines += [f"#EXTINF:{segment.duration:.6f},", segment.name]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def write_playlist(hls_dir: Path) -> list[Segment]:
    """Turn the segment muxer's list into playlist.m3u8 and drop the list."""
    csv_path = hls_dir / "segments.csv"
    segments = read_segment_list(csv_path)
    (hls_dir / PLAYLIST_NAME).write_text(render_playlist(segments))
    csv_path.unlink()
    return segments
