"""Request and response bodies of the samples API (separate from the SQLAlchemy models)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cratedig.models import SampleSource, SampleStatus

# PostgreSQL text cannot hold NUL: such input is a 422 at the edge, never a database error.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(pattern=NO_NUL)]


class SubmitRequest(BaseModel):
    """A video URL to turn into a sample."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(
        min_length=1,
        max_length=2048,
        pattern=NO_NUL,
        examples=["https://www.tiktok.com/@someone/video/7301234567890123456"],
    )


class CreatorSummary(BaseModel):
    """Who made the video."""

    id: uuid.UUID
    username: str
    nickname: str | None
    verified: bool
    avatar_url: str | None


class TempoCandidate(BaseModel):
    """One tempo reading the analysis considered (often the best one's half or double)."""

    bpm: float
    confidence: float = Field(ge=0, le=1)


class KeyCandidate(BaseModel):
    """One key reading the analysis considered (often the best one's relative or parallel)."""

    key: str
    scale: str
    confidence: float = Field(ge=0, le=1)


class SampleOut(BaseModel):
    """Everything about one sample, with browser URLs for its media."""

    id: uuid.UUID
    source: SampleSource
    source_url: str
    source_id: str
    title: str | None
    description: str | None
    tags: list[str]
    creator: CreatorSummary | None
    view_count: int | None
    like_count: int | None
    share_count: int | None
    comment_count: int | None
    save_count: int | None
    download_count: int
    posted_at: datetime | None
    sound_title: str | None
    sound_artist: str | None
    sound_album: str | None
    sound_is_original: bool | None
    region: str | None
    post_type: str | None
    duration_seconds: float | None
    bpm: float | None = Field(
        description="the tempo shown (an admin's correction wins over the analysis); people see"
        " it rounded half up to a whole BPM, floor(bpm + 0.5) (JavaScript's Math.round),"
        " as download file names do"
    )
    bpm_confidence: float | None
    key: str | None
    scale: str | None
    key_confidence: float | None
    bpm_candidates: list[TempoCandidate] = Field(
        description="up to 3 tempo readings, best first (the first is bpm)"
    )
    key_candidates: list[KeyCandidate] = Field(
        description="up to 3 key readings, best first (the first is key and scale)"
    )
    loudness_lufs: float | None
    video_url: str | None
    thumbnail_url: str | None
    cover_url: str | None
    origin_cover_url: str | None
    audio_url_wav: str | None
    audio_url_mp3: str | None
    audio_url_hls: str | None
    waveform_url: str | None
    waveform_data_url: str | None
    video_bytes: int | None
    thumbnail_bytes: int | None
    cover_bytes: int | None
    origin_cover_bytes: int | None
    wav_bytes: int | None
    mp3_bytes: int | None
    hls_bytes: int | None
    waveform_png_bytes: int | None
    waveform_json_bytes: int | None
    status: SampleStatus
    step: str | None
    error_code: str | None
    error_message: str | None
    attempts: int
    generation: int
    processed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CreatorCard(CreatorSummary):
    """The creator as a sample's page shows them: every avatar size and follower counts."""

    avatar_medium_url: str | None
    avatar_large_url: str | None
    follower_count: int | None
    following_count: int | None
    heart_count: int | None
    video_count: int | None


class AnalysisReading(BaseModel):
    """What the analysis read, whatever an admin corrected."""

    bpm: float | None
    key: str | None
    scale: str | None


class Corrections(BaseModel):
    """An admin's corrections; only the corrected fields are present."""

    bpm: float | None = None
    key: str | None = None
    scale: str | None = None


class SampleDetail(SampleOut):
    """One sample with its creator card, the analysis' reading and any corrections."""

    creator: CreatorCard | None
    analysis: AnalysisReading
    corrections: Corrections = Field(description="only the corrected fields are present")


class CorrectionRequest(BaseModel):
    """Corrections to set (a value) or clear (null); fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bpm: float | None = Field(default=None, gt=0, le=1000)
    key: str | None = Field(default=None, max_length=3, examples=["A", "C#", "Eb"])
    scale: Literal["major", "minor"] | None = None


class SamplePage(BaseModel):
    """One page of a listing; pass `next_cursor` back as `cursor` for the next."""

    items: list[SampleOut]
    next_cursor: str | None


class StepTiming(BaseModel):
    """One pipeline step of the current generation."""

    step: str
    number: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    attempts: int
    error: str | None


class SampleProgress(BaseModel):
    """Where a sample is in its processing."""

    id: uuid.UUID
    status: SampleStatus
    step: str | None
    step_number: int | None
    step_count: int
    attempts: int
    generation: int
    error_code: str | None
    error_message: str | None
    processed_at: datetime | None
    steps: list[StepTiming]


class TagCountOut(BaseModel):
    """A tag and how many published samples carry it."""

    tag: str
    count: int
