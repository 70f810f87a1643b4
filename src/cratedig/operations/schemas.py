"""Pydantic shapes of operations: the base of every kind's request, reports, API answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class OperationRequest(BaseModel):
    """What every kind's request has. Bodies are strict: unknown fields are refused, and
    `true` is not a number nor "yes" a boolean (the fields say Strict* where lax would)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dry_run: StrictBool = Field(False, description="list what would be done; change nothing")


class ItemCounts(BaseModel):
    """Items per state."""

    total: int = 0
    pending: int = 0
    queued: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0


class PipelineCounts(BaseModel):
    """Reprocess only: where the queued samples' pipelines are now."""

    queued: int = 0
    processing: int = 0
    completed: int = 0
    failed: int = 0
    superseded: int = 0  # reprocessed again since; that newer run counts elsewhere


class ItemOut(BaseModel):
    """One item with a problem."""

    subject_type: str
    subject_id: uuid.UUID
    state: str
    detail: str | None


class OperationOut(BaseModel):
    """An operation's request, state, counts and errors."""

    id: uuid.UUID
    kind: str
    status: str
    dry_run: bool
    origin: str
    params: dict[str, Any]
    message: str | None
    created_at: datetime
    finished_at: datetime | None
    items: ItemCounts
    pipeline: PipelineCounts | None
    errors: list[ItemOut]


class DryRunItem(BaseModel):
    """A sample a dry run would process, and why."""

    id: uuid.UUID
    source_url: str | None = None
    creator: str | None = None
    status: str | None = None
    reason: str | None = None


class OperationStarted(BaseModel):
    """The reference's response, plus the operation to follow."""

    message: str
    total_samples: int
    status: Literal["started", "dry_run", "completed"]
    operation_id: uuid.UUID | None = None
    skipped: int = 0
    samples: list[DryRunItem] | None = None
