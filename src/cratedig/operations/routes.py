"""The operations API: a route per kind (from the registry), retry, the pipeline, reports.

Every route here needs the admin token. Starting an operation chooses and records it with its
items in the request's transaction, commits, then queues it for a worker; the response comes
at once, and `GET /operations/{id}` follows it.
"""

# No `from __future__ import annotations`: each kind's route takes the kind's own request
# model as its body, set on the endpoint at run time, which FastAPI reads as a real type.
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from cratedig.cursors import InvalidCursorError, cursor_id, cursor_time, pack_cursor, unpack_cursor
from cratedig.deps import AdminDep, RuntimeDep, SessionDep
from cratedig.errors import ApiError, error_responses
from cratedig.models import Sample
from cratedig.operations.dashboard import PipelineOverview, pipeline_overview
from cratedig.operations.framework import Kind, all_kinds, get_kind, subjects_of
from cratedig.operations.library_repository import sample_lines
from cratedig.operations.repository import (
    create_operation,
    finish_operation,
    operation_report,
    recent_operations,
)
from cratedig.operations.runner import enqueue_operation, run_operation
from cratedig.operations.schemas import DryRunItem, OperationOut, OperationStarted
from cratedig.operations.states import Item, Selection, Subject, SubjectNotFoundError

WITH_BODY = error_responses(400, 404, 413)
NEXT_PAGE_LINK = {
    "description": 'The next page, `<URL>; rel="next"`; absent on the last page',
    "schema": {"type": "string"},
}
DRY_RUN_SHOWN = 1000


def build_router() -> APIRouter:
    """The operations routes, one per registered kind."""
    # Every route needs the admin token; a JSON body can be malformed or too large.
    router = APIRouter(
        prefix="/api/v1", tags=["operations"], responses=error_responses(401, 403, 422)
    )
    for kind in all_kinds().values():
        router.add_api_route(
            kind.path,
            _start_route(kind),
            methods=["POST"],
            response_model=OperationStarted,
            responses=WITH_BODY,
            name=f"start_{kind.name}",
            summary=kind.summary[:1].upper() + kind.summary[1:],
            description=f"{kind.summary[:1].upper() + kind.summary[1:]} (admin).",
        )
    router.add_api_route(
        "/samples/{sample_id}/retry",
        retry_sample,
        methods=["POST"],
        response_model=OperationStarted,
        responses=error_responses(404),
    )
    router.add_api_route("/pipeline", pipeline, methods=["GET"], response_model=PipelineOverview)
    router.add_api_route(
        "/operations",
        list_operations,
        methods=["GET"],
        response_model=list[OperationOut],
        responses={200: {"headers": {"Link": NEXT_PAGE_LINK}}},
    )
    router.add_api_route(
        "/operations/{operation_id}",
        get_operation,
        methods=["GET"],
        response_model=OperationOut,
        responses=error_responses(404),
    )
    return router


def _start_route(kind: Kind[Any]) -> Callable[..., OperationStarted]:
    def start(
        body: BaseModel, _admin: AdminDep, session: SessionDep, runtime: RuntimeDep
    ) -> OperationStarted:
        try:
            selection = kind.select(runtime, session, body, ())
        except SubjectNotFoundError as exc:
            raise ApiError(404, "not_found", str(exc), exc.field_name) from exc
        session.commit()  # end the read: slow checks must not hold the database
        selection = kind.refine(runtime, body, selection)
        params = kind.params(body) | {"skipped": len(selection.skipped)}
        dry_run = bool(getattr(body, "dry_run", False))
        operation_id = create_operation(
            session, kind.name, params, selection.items, dry_run=dry_run, origin="api"
        )
        return _answer(kind, session, selection, operation_id, dry_run)

    start.__annotations__["body"] = kind.request_model
    start.__name__ = start.__qualname__ = f"start_{kind.name}"
    return start


def _answer(
    kind: Kind[Any],
    session: SessionDep,
    selection: Selection,
    operation_id: uuid.UUID,
    dry_run: bool,
) -> OperationStarted:
    total, skipped = selection.count(Subject.SAMPLE), len(selection.skipped)
    phrase = kind.phrase or kind.name.replace("_", " ")
    if not selection.items:
        finish_operation(session, operation_id, message="nothing to do")
        return OperationStarted(
            message=f"Nothing to do: no {kind.subject_word} need it ({skipped} skipped).",
            total_samples=0,
            status="completed",
            operation_id=operation_id,
            skipped=skipped,
        )
    if dry_run:
        finish_operation(session, operation_id, message=kind.dry_run_message(selection))
        return OperationStarted(
            message=f"Dry run: {phrase} {total} samples would run. Nothing was changed.",
            total_samples=total,
            status="dry_run",
            operation_id=operation_id,
            skipped=skipped,
            samples=_describe(session, selection.items[:DRY_RUN_SHOWN]),
        )
    session.commit()  # a workflow is queued only for a committed operation
    enqueue_operation(operation_id)
    return OperationStarted(
        message=(
            f"Started {phrase} {total} samples in the background. "
            f"Follow it at /api/v1/operations/{operation_id}."
        ),
        total_samples=total,
        status="started",
        operation_id=operation_id,
        skipped=skipped,
    )


def _describe(session: SessionDep, items: list[Item]) -> list[DryRunItem]:
    lines = sample_lines(session, subjects_of(items, Subject.SAMPLE))
    described = []
    for item in items:
        line = lines.get(item.id)
        if item.subject is not Subject.SAMPLE:
            continue
        if line is None:
            described.append(DryRunItem(id=item.id, reason=item.reason))
            continue
        described.append(
            DryRunItem(
                id=item.id,
                source_url=line.source_url,
                creator=line.creator,
                status=line.status.value,
                reason=item.reason,
            )
        )
    return described


def retry_sample(
    sample_id: uuid.UUID, _admin: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> OperationStarted:
    """Run one sample through the pipeline again, as a one-sample reprocess (admin)."""
    if session.get(Sample, sample_id) is None:
        raise ApiError(404, "not_found", f"no sample {sample_id}", "sample_id")
    kind = get_kind("reprocess")
    request = kind.request_model()
    selection = kind.select(runtime, session, request, [sample_id])  # nothing to refine
    operation_id = create_operation(
        session, kind.name, kind.params(request), selection.items, dry_run=False, origin="api"
    )
    session.commit()  # the run's own transactions see the recorded operation
    run_operation(runtime, operation_id)  # one sample: reset and queued right here
    return OperationStarted(
        message=f"Reprocessing sample {sample_id}.",
        total_samples=1,
        status="started",
        operation_id=operation_id,
    )


def pipeline(_admin: AdminDep, session: SessionDep) -> PipelineOverview:
    """Counts per status, and the latest pending, processing, failed and completed (admin)."""
    return pipeline_overview(session)


def list_operations(
    _admin: AdminDep,
    session: SessionDep,
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> list[OperationOut]:
    """Recent operations, newest first (admin); a `Link` header names the next page."""
    try:
        after = _position(cursor) if cursor else None
    except InvalidCursorError as error:
        raise ApiError(422, "invalid_cursor", f"cursor: {error}", "cursor") from error
    page = recent_operations(session, limit + 1, after)
    if len(page) > limit:
        page = page[:limit]
        following = pack_cursor([page[-1].created_at, page[-1].id.hex])
        next_page = request.url.include_query_params(cursor=following)
        response.headers["Link"] = f'<{next_page}>; rel="next"'
    return page


def _position(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (created_at, id) of the last operation of the page before, from its cursor."""
    created_at, ident = unpack_cursor(cursor, 2)
    return cursor_time(created_at), cursor_id(ident)


def get_operation(operation_id: uuid.UUID, _admin: AdminDep, session: SessionDep) -> OperationOut:
    """One operation: request, live counts (and pipelines, for a reprocess), errors (admin)."""
    report = operation_report(session, operation_id)
    if report is None:
        raise ApiError(404, "not_found", f"no operation {operation_id}", "operation_id")
    return report
