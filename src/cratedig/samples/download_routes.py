"""GET /api/v1/samples/{id}/download: the stored WAV or MP3, or a render matched to a tempo,
a key and a loop length, always as a redirect to storage with a producer's file name."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from cratedig.artifacts import is_external
from cratedig.deps import SessionDep, StorageDep
from cratedig.errors import ApiError, error_responses
from cratedig.samples import service
from cratedig.samples.matching import LOOP_BARS, Match
from cratedig.samples.renders import matched_plan, served
from cratedig.samples.repository import SampleRepository
from cratedig.storage import Storage

router = APIRouter(prefix="/api/v1", tags=["samples"], responses=error_responses(422))

Format = Literal["wav", "mp3"]
MatchBpm = Annotated[
    float | None,
    Query(ge=20, le=300, description="render at this tempo (stretch 0.5..2 times the sample's)"),
]
MatchKey = Annotated[
    str | None,
    Query(
        max_length=3,
        description="render in this key: C C# D Eb E F F# G Ab A Bb B (Db D# Gb G# A# too);"
        " the nearest shift of at most 6 semitones onto it or, if scales differ, its relative",
        examples=["A", "C#", "Eb"],
    ),
]
MatchScale = Annotated[
    Literal["major", "minor"] | None,
    Query(description="the scale of `key` (default: the sample's)"),
]
LoopBars = Annotated[
    int | None, Query(description="1, 2, 4 or 8: the analysis' best loop of that many bars")
]


def match_of(bpm: float | None, key: str | None, scale: str | None, bars: int | None) -> Match:
    """Checked matching options (422 in the usual shape when one is wrong)."""
    if bars is not None and bars not in LOOP_BARS:
        raise ApiError(422, "validation_error", "bars: one of 1, 2, 4, 8", "bars")
    if scale is not None and key is None:
        raise ApiError(422, "validation_error", "scale needs key", "scale")
    normalized = service.normalize_key(key) if key is not None else None
    # Tempos are rendered to 0.01 BPM: nearer asks share one cached render.
    return Match(None if bpm is None else round(bpm, 2), normalized, scale, bars)


@router.get(
    "/samples/{sample_id}/download",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        302: {"description": "to a presigned URL or the local media route"},
        **error_responses(404, 503),
    },
)
def download(
    request: Request,
    sample_id: uuid.UUID,
    session: SessionDep,
    storage: StorageDep,
    format: Format = "wav",
    bpm: MatchBpm = None,
    key: MatchKey = None,
    scale: MatchScale = None,
    bars: LoopBars = None,
) -> RedirectResponse:
    """Redirect to the WAV or MP3 with a producer-friendly file name; counts the download.

    With `bpm`, `key`/`scale` or `bars`, the audio is first rendered at that tempo and key
    (rubberband, formants preserved) and cut to the loop, once: later requests for the same
    render are redirected to the cached file. 422 `no_tempo`/`no_key`/`no_loop` when the
    sample lacks what the match needs, `tempo_out_of_range` past a 0.5..2 stretch,
    `not_renderable` when the stored WAV cannot be decoded.
    """
    match = match_of(bpm, key, scale, bars)
    sample = SampleRepository(session).get(sample_id)
    if sample is None:
        raise ApiError(404, "not_found", f"no sample {sample_id}", "id")
    chosen = matched_plan(sample, match) if match.asked else None
    stored, name = served(storage, sample, format, chosen)
    SampleRepository(session).increment_downloads(sample.id)
    return RedirectResponse(_download_url(request, storage, stored, name, sample.generation), 302)


def _download_url(request: Request, storage: Storage, key: str, name: str, version: int) -> str:
    if is_external(key):  # not migrated yet: the old host serves it (without our file name)
        return key
    signed = storage.presigned_get_url(key, download_name=name)
    if signed is not None:
        return signed
    root = request.scope.get("root_path", "").rstrip("/")
    return f"{root}/media/{quote(key, safe='/')}?v={version}&download={quote(name, safe='')}"
