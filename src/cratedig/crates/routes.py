"""POST /api/v1/crates/download: many samples as one streamed ZIP, matched alike."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from cratedig.crates.archive import crate_stream
from cratedig.crates.schemas import CrateRequest
from cratedig.deps import SessionDep, StorageDep
from cratedig.errors import ApiError, error_responses
from cratedig.models import Sample
from cratedig.samples.download_routes import match_of
from cratedig.samples.matching import Match
from cratedig.samples.query import is_published
from cratedig.samples.repository import SampleRepository

router = APIRouter(prefix="/api/v1", tags=["crates"])
ZIP: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {}}, "description": "the ZIP, streamed"}
}


@router.post(
    "/crates/download",
    response_class=StreamingResponse,
    responses={**ZIP, **error_responses(422, 429, 503)},
)
def download_crate(
    body: CrateRequest, session: SessionDep, storage: StorageDep
) -> StreamingResponse:
    """One ZIP of the samples (published ones; 422 lists the others), each named and matched
    like a single download; one that cannot be matched comes as it is under `unmatched/`,
    and `crate.txt` says which and why. Renders are shared with single downloads' cache."""
    match = match_of(body.bpm, body.key, body.scale, body.bars)
    ids = list(dict.fromkeys(body.ids))
    samples = published(session, ids)
    missing = [str(ident) for ident in ids if ident not in samples]
    if missing:
        raise ApiError(
            422, "unknown_samples", f"not published samples: {', '.join(missing)}", "ids"
        )
    ordered = [samples[ident] for ident in ids]
    repository = SampleRepository(session)
    for sample in ordered:
        repository.increment_downloads(sample.id)
    heading = describe(len(ordered), body.format, match)
    name = f"cratedig-crate-{len(ordered)}.zip"
    return StreamingResponse(
        crate_stream(storage, ordered, body.format, match, heading),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def published(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Sample]:
    """The published samples among `ids`, with their creators, by id."""
    query = (
        select(Sample).where(Sample.id.in_(ids), is_published()).options(joinedload(Sample.creator))
    )
    return {sample.id: sample for sample in session.scalars(query).unique()}


def describe(count: int, fmt: str, match: Match) -> str:
    """The first line of crate.txt."""
    wanted = []
    if match.bpm is not None:
        wanted.append(f"{match.bpm:g} BPM")
    if match.key is not None:
        wanted.append(f"{match.key} {match.scale}" if match.scale else f"key {match.key}")
    if match.bars is not None:
        wanted.append(f"{match.bars}-bar loops")
    matched = f", matched to {', '.join(wanted)}" if wanted else ""
    return f"cratedig crate: {count} samples as {fmt.upper()}{matched}"
