"""The request body of a crate download."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_CRATE = 100


class CrateRequest(BaseModel):
    """Samples to download as one ZIP, each matched as a single download would be."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_CRATE)
    format: Literal["wav", "mp3"] = "wav"
    bpm: float | None = Field(default=None, ge=20, le=300)
    key: str | None = Field(default=None, max_length=3, examples=["A", "C#", "Eb"])
    scale: Literal["major", "minor"] | None = None
    bars: int | None = Field(default=None, description="1, 2, 4 or 8")
