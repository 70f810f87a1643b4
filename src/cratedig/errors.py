"""JSON error bodies for every failure: `{"error": {"code", "message", "field"}}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.storage import InvalidKey, StorageError

log = logging.getLogger("cratedig.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}
# Submitting a URL: which source failures are the caller's fault (422) and which are ours.
_SOURCE_STATUS = {SourceErrorCode.NETWORK: 502, SourceErrorCode.RATE_LIMITED: 503}


# What each documented error status means, for the OpenAPI `responses` of the routes.
_MEANINGS = {
    400: "Malformed request (e.g. a body that is not JSON)",
    401: "Admin token missing",
    403: "Wrong admin token, or not a loopback client when no token is configured",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Request body too large",
    422: "Invalid value; `field` names it",
    429: "Too many requests; see Retry-After",
    502: "The source could not be reached",
    503: "Object storage or the source is unavailable",
}


class ErrorDetail(BaseModel):
    """What went wrong: a stable code, a readable message, the request field at fault."""

    code: str
    message: str
    field: str | None


class ErrorResponse(BaseModel):
    """The body of every 4xx/5xx response."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for these statuses, each with the JSON error body."""
    return {
        status: {"model": ErrorResponse, "description": _MEANINGS.get(status, "Error")}
        for status in statuses
    }


class ApiError(StarletteHTTPException):
    """An HTTP error with a stable machine-readable code and the request field at fault."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, message, headers)
        self.code = code
        self.field = field


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one shape of every error response."""
    return {"error": {"code": code, "message": message, "field": field}}


def source_error(error: SourceError, field: str = "url") -> ApiError:
    """A submit-time source failure as an API error naming the field."""
    status = _SOURCE_STATUS.get(error.code, 422)
    return ApiError(status, error.code.value, str(error), field)


def field_name(loc: Sequence[int | str]) -> str | None:
    """`("query", "bpm_min")` → `bpm_min`; `("body", "url")` → `url`; `("body",)` → `body`."""
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or None


def install_error_handlers(app: FastAPI) -> None:
    """Make every 4xx/5xx answer a JSON error body."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StorageError, _storage_error)
    app.add_exception_handler(Exception, _internal_error)


def _json(
    status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc, ApiError):
        return _json(exc.status_code, error_body(exc.code, exc.detail, exc.field), exc.headers)
    code = _CODES.get(exc.status_code, "http_error")
    return _json(exc.status_code, error_body(code, str(exc.detail)), exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if not errors:
        return _json(422, error_body("validation_error", "invalid request"))
    first = errors[0]
    field = field_name(first.get("loc", ()))
    message = str(first.get("msg", "invalid value"))
    if first.get("type") == "extra_forbidden":
        message = "unknown field"
    if field and field != "body":
        message = f"{field}: {message}"
    return _json(422, error_body("validation_error", message, field))


async def _storage_error(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, InvalidKey):
        return _json(400, error_body("invalid_key", str(exc), "key"))
    log.error("storage error: %s", exc)
    return _json(503, error_body("storage", "object storage is unavailable"))


def internal_error_response() -> JSONResponse:
    """The 500 answer to an unhandled error (whose detail goes to the log only)."""
    return _json(500, error_body("internal", "internal server error"))


async def _internal_error(_request: Request, exc: Exception) -> JSONResponse:
    # Only errors outside RequestContext (which answers the others itself) get here.
    log.exception("unhandled error", exc_info=exc)
    return internal_error_response()
