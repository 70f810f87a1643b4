"""HTTP routes of /api/v1/samples and /api/v1/tags."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from cratedig.deps import AdminDep, RuntimeDep, SessionDep, SettingsDep, StorageDep, check_admin
from cratedig.errors import ApiError, error_responses, source_error
from cratedig.http.caching import IN_FLIGHT, LISTING, NOT_MODIFIED, PRIVATE, SETTLED, cached_json
from cratedig.models import Sample, SampleStatus
from cratedig.pipeline.queue import cancel_sample, enqueue_sample
from cratedig.samples import service
from cratedig.samples.corrections import correct
from cratedig.samples.documents import (
    progress_document_of_rows,
    sample_detail_document,
    sample_detail_document_of_row,
    sample_document_of_row,
)
from cratedig.samples.harmony import compatible_keys
from cratedig.samples.query import (
    MAX_LIMIT,
    InvalidCursorError,
    SampleFilters,
    SampleSort,
    cursor_after,
)
from cratedig.samples.reads import SampleReads
from cratedig.samples.repository import SampleRepository
from cratedig.samples.schemas import (
    NO_NUL,
    CorrectionRequest,
    SampleDetail,
    SampleOut,
    SamplePage,
    SampleProgress,
    SubmitRequest,
    TagCountOut,
    Text,
)
from cratedig.sources.errors import SourceError

router = APIRouter(prefix="/api/v1", tags=["samples"], responses=error_responses(422))
# Routes that read object storage answer 503 when it is down (errors.py).
FOUND = error_responses(404, 503)
ADMIN_FOUND = error_responses(401, 403, 404, 503)

StatusFilter = Literal["pending", "processing", "completed", "failed", "all"]


def _found(session: SessionDep, sample_id: uuid.UUID) -> Sample:
    sample = SampleRepository(session).get(sample_id)
    if sample is None:
        raise ApiError(404, "not_found", f"no sample {sample_id}", "id")
    return sample


@router.post(
    "/samples",
    status_code=202,
    response_model=SampleOut,
    responses={
        200: {"model": SampleOut, "description": "already submitted"},
        **error_responses(400, 413, 429, 502, 503),
    },
)
def submit(
    body: SubmitRequest,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    response: Response,
) -> SampleOut:
    """Submit a video URL: 202 with the new pending sample, or 200 with the existing one."""
    try:
        sample, created = service.submit_sample(session, settings, body.url)
    except SourceError as error:
        raise source_error(error) from error
    # Enqueue only a committed row; re-enqueueing a pending one is a no-op (same workflow id).
    session.commit()
    if sample.status is SampleStatus.PENDING:
        enqueue_sample(sample.id, sample.generation)
    response.status_code = 202 if created else 200
    response.headers["Location"] = f"/api/v1/samples/{sample.id}"
    return service.sample_out(sample, storage)


@router.get(
    "/samples",
    response_model=SamplePage,
    responses={304: NOT_MODIFIED, **error_responses(401, 403, 503)},
)
def list_samples(
    request: Request,
    runtime: RuntimeDep,
    settings: SettingsDep,
    bpm_min: Annotated[float | None, Query(ge=0, le=1000)] = None,
    bpm_max: Annotated[float | None, Query(ge=0, le=1000)] = None,
    tempo_multiples: Annotated[
        bool,
        Query(description="with bpm_min/bpm_max: also samples whose half or double tempo fits"),
    ] = False,
    key: Annotated[str | None, Query(max_length=3, examples=["A", "C#", "Eb"])] = None,
    scale: Literal["major", "minor"] | None = None,
    compatible: Annotated[
        bool, Query(description="with key and scale: also the relative key and ±1 fifth")
    ] = False,
    tags: Annotated[list[Text] | None, Query(description="repeat or comma-separate; any")] = None,
    creator: Annotated[str | None, Query(max_length=128, pattern=NO_NUL)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: SampleSort = SampleSort.NEWEST,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 24,
    status: Annotated[StatusFilter | None, Query(description="admins only")] = None,
) -> Response:
    """Published samples, filtered and sorted, one keyset page at a time."""
    wanted: SampleStatus | None = SampleStatus.COMPLETED
    if status is not None:
        check_admin(request, settings)
        wanted = None if status == "all" else SampleStatus(status)
    if bpm_min is not None and bpm_max is not None and bpm_min > bpm_max:
        raise ApiError(422, "validation_error", "bpm_min is above bpm_max", "bpm_min")
    if key is not None:
        key = service.normalize_key(key)
    pairs: tuple[tuple[str, str], ...] = ()
    if compatible:
        if key is None or scale is None:
            raise ApiError(422, "validation_error", "compatible needs key and scale", "compatible")
        pairs, key, scale = compatible_keys(key, scale), None, None
    tag_list = tuple(t for value in tags or [] for t in value.split(",") if t.strip())
    filters = SampleFilters(
        status=wanted,
        bpm_min=bpm_min,
        bpm_max=bpm_max,
        tempo_multiples=tempo_multiples,
        key=key,
        scale=scale,
        keys=pairs,
        tags=tag_list,
        creator=creator,
        q=q,
    )
    try:
        rows = runtime.read(lambda reader: SampleReads(reader).page(filters, sort, cursor, limit))
    except InvalidCursorError as error:
        raise ApiError(422, "invalid_cursor", f"cursor: {error}", "cursor") from error
    items = [sample_document_of_row(row, runtime.storage) for row in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    page = {
        "items": items,
        "next_cursor": cursor_after(sort, last.sort_key, last.id) if last else None,
    }
    # The status filter is for admins: their view is never stored by a shared cache.
    return cached_json(request, page, LISTING if status is None else PRIVATE)


@router.get(
    "/samples/{sample_id}", response_model=SampleDetail, responses={304: NOT_MODIFIED, **FOUND}
)
def get_sample(request: Request, sample_id: uuid.UUID, runtime: RuntimeDep) -> Response:
    """One sample (any status) with its creator card, tags, media URLs, the analysis' own
    reading and an admin's corrections."""
    row = runtime.read(lambda reader: SampleReads(reader).detail(sample_id))
    if row is None:
        raise ApiError(404, "not_found", f"no sample {sample_id}", "id")
    document = sample_detail_document_of_row(row, runtime.storage)
    return cached_json(request, document, _cache_control(row.status))


@router.patch("/samples/{sample_id}", response_model=SampleDetail, responses=ADMIN_FOUND)
def correct_sample(
    request: Request,
    sample_id: uuid.UUID,
    body: CorrectionRequest,
    _admin: AdminDep,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """Correct BPM, key or scale (admin): null clears a correction. The correction is what
    listings, filters, downloads and file names use; a re-analysis never overwrites it."""
    changes = body.model_dump(include=body.model_fields_set)
    if not changes:
        raise ApiError(422, "validation_error", "nothing to correct: give bpm, key or scale")
    if changes.get("key") is not None:
        changes["key"] = service.normalize_key(changes["key"])
    sample = _found(session, sample_id)
    correct(sample, changes)
    session.flush()
    return cached_json(request, sample_detail_document(sample, storage), PRIVATE)


@router.get("/samples/{sample_id}/similar", response_model=list[SampleOut], responses=FOUND)
def similar_samples(
    sample_id: uuid.UUID,
    session: SessionDep,
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=48)] = 8,
) -> list[SampleOut]:
    """Published samples within ±6 % of its tempo or of half or double it, in a compatible
    key (same, relative, a fifth away): nearest tempo first, then closer key, shared tags."""
    sample = _found(session, sample_id)
    similar = SampleRepository(session).similar_to(sample, limit)
    return [service.sample_out(item, storage) for item in similar]


@router.get(
    "/samples/{sample_id}/status",
    response_model=SampleProgress,
    responses={304: NOT_MODIFIED, **error_responses(404)},
)
def get_status(request: Request, sample_id: uuid.UUID, runtime: RuntimeDep) -> Response:
    """Processing progress: status, step n of N, attempts, error, timings per step."""
    rows = runtime.read(lambda reader: SampleReads(reader).progress(sample_id))
    if not rows:
        raise ApiError(404, "not_found", f"no sample {sample_id}", "id")
    return cached_json(request, progress_document_of_rows(rows), _cache_control(rows[0].status))


def _cache_control(status: SampleStatus) -> str:
    """A completed sample changes rarely; any other may change at the next step."""
    return SETTLED if status is SampleStatus.COMPLETED else IN_FLIGHT


@router.delete(
    "/samples/{sample_id}", status_code=204, response_class=Response, responses=ADMIN_FOUND
)
def delete_sample(
    sample_id: uuid.UUID, _admin: AdminDep, session: SessionDep, storage: StorageDep
) -> Response:
    """Delete a sample and every object it stored (admin)."""
    sample = _found(session, sample_id)
    cancel_sample(sample.id, sample.generation)  # a running pipeline must not re-create objects
    service.delete_sample(session, storage, sample)
    return Response(status_code=204)


@router.get("/tags/popular", response_model=list[TagCountOut], tags=["tags"])
def popular_tags(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20
) -> list[TagCountOut]:
    """The most used tags among published samples."""
    counts = SampleRepository(session).popular_tags(limit)
    return [TagCountOut(tag=row.tag, count=row.count) for row in counts]
