"""What the pipeline's steps hand each other.

A step's return value is recorded by DBOS and replayed to the workflow after a restart, so
those are plain-dict TypedDicts whose shape never changes (a workflow begun before an upgrade
resumes with what the older code recorded); `Job` and `Publication` are only ever arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Required, TypedDict

from cratedig.artifacts import VIDEO


@dataclass(frozen=True)
class Job:
    """The generation of a sample a workflow run works on."""

    sample_id: str
    generation: int


class Target(TypedDict):
    """What to fetch: the sample's source kind (`tiktok`, `url`) and URL."""

    kind: str
    url: str


class Fetched(TypedDict, total=False):
    """The source's metadata, where its media were staged and how big the video is."""

    source_key: Required[str]
    video_bytes: int  # only when the source is an MP4 video
    title: str | None
    description: str | None
    tags: list[str]
    posted_at: str | None  # ISO 8601
    duration: float | None
    view_count: int | None
    like_count: int | None
    share_count: int | None
    comment_count: int | None
    save_count: int | None
    sound_title: str | None
    sound_artist: str | None
    sound_album: str | None
    sound_is_original: bool | None
    region: str | None
    post_type: str | None
    cover_url: str | None
    origin_cover_url: str | None
    canonical_url: str | None
    source_url: str
    creator: dict[str, Any]  # the creator's profile, for the creator step


StagedSizes = dict[str, int]
"""Staged file name (sample-relative, `hls/segment_000.ts` included) → its size in bytes."""


class Analysis(TypedDict, total=False):
    """The measurements published with a sample (analysis.json has more)."""

    duration_seconds: float | None
    bpm: float | None
    bpm_confidence: float | None
    key: str | None
    scale: str | None
    key_confidence: float | None
    bpm_candidates: list[dict[str, Any]]
    key_candidates: list[dict[str, Any]]
    beats: list[float]
    downbeats: list[float]
    beats_per_bar: int | None
    loops: list[dict[str, Any]]
    loudness_lufs: float | None


class Processed(TypedDict):
    """The audio step's output: the analysis and the staged audio files."""

    analysis: Analysis
    sizes: StagedSizes


@dataclass(frozen=True)
class Publication:
    """Everything the publish step makes public: the earlier steps' results."""

    metadata: Fetched
    images: StagedSizes
    processed: Processed
    creator_id: str | None

    @property
    def staged(self) -> StagedSizes:
        """Every staged file of the generation, with its size."""
        video = (
            {VIDEO.file: int(self.metadata["video_bytes"])}
            if "video_bytes" in self.metadata
            else {}
        )
        return {**self.processed["sizes"], **self.images, **video}
