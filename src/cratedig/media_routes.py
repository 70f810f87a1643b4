"""/media/{key}: local media with HTTP Range support; other backends redirect to a signed URL."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, RedirectResponse, Response

from cratedig.deps import StorageDep
from cratedig.errors import ApiError, error_responses
from cratedig.storage import CACHE_CONTROL, InvalidKey, content_type_for, validate_key
from cratedig.storage.published import is_published_key
from cratedig.storage.signing import content_disposition
from cratedig.storage.validation import CONTENT_TYPES

router = APIRouter(tags=["media"])
# Without `?v=` the same key may change on reprocessing: let caches revalidate soon.
SHORT_CACHE = "public, max-age=60"
_FILE: dict[str, Any] = {
    "content": {t: {} for t in [*CONTENT_TYPES.values(), "application/octet-stream"]}
}
MEDIA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The object", **_FILE},
    206: {"description": "The requested byte range", **_FILE},
    307: {"description": "To a signed URL (S3, GCS)"},
    416: {"description": "The range is outside the object (Content-Range: bytes */size)"},
    **error_responses(400, 404, 422, 503),
}


# GET and HEAD as two routes, so each has its own OpenAPI operation id.
@router.get("/media/{key:path}", name="media", response_class=Response, responses=MEDIA_RESPONSES)
@router.head(
    "/media/{key:path}", name="media_head", response_class=Response, responses=MEDIA_RESPONSES
)
def media(
    key: str,
    storage: StorageDep,
    v: Annotated[str | None, Query(max_length=32, description="cache-busting version")] = None,
    download: Annotated[str | None, Query(max_length=200, description="save-as file name")] = None,
) -> Response:
    """Serve one published object (Range requests supported), as an attachment if asked."""
    try:
        validate_key(key)
        path = storage.local_path(key) if storage.kind == "local" else None
    except InvalidKey as error:
        raise ApiError(400, "invalid_key", str(error), "key") from error
    if not is_published_key(key):
        # Staged sources and generations in the making are not public: not found, like any
        # key outside the published layout (see storage/published.py).
        raise ApiError(404, "not_found", f"no object {key}", "key")
    if storage.kind != "local":
        signed = storage.presigned_get_url(key, download_name=download)
        if signed is None:
            raise ApiError(404, "not_found", "this storage has no signed URLs", "key")
        return RedirectResponse(signed, status_code=307)
    if path is None:
        raise ApiError(404, "not_found", f"no object {key}", "key")
    headers = {"Cache-Control": CACHE_CONTROL if v else SHORT_CACHE}
    if download:
        headers["Content-Disposition"] = content_disposition(download)
    media_type = content_type_for(key) or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers=headers)
