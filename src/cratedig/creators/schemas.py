"""Response bodies of the creators API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from cratedig.samples.schemas import SampleOut


class CreatorOut(BaseModel):
    """A creator's profile and one page of their published samples."""

    id: uuid.UUID
    username: str
    source_id: str | None  # TikTok's numeric user id: stable across handle changes
    sec_uid: str | None
    nickname: str | None
    signature: str | None
    verified: bool
    follower_count: int | None
    following_count: int | None
    heart_count: int | None
    video_count: int | None
    avatar_thumb_url: str | None
    avatar_medium_url: str | None
    avatar_large_url: str | None
    last_fetched_at: datetime | None
    samples: list[SampleOut]
    next_cursor: str | None
