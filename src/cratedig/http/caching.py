"""Cacheable JSON answers for public GETs: the body encoded once, an ETag from its bytes,
304 Not Modified when the client (or a CDN) already holds it, and a Cache-Control per kind.

The ETag is a hash of the exact body, so it changes whenever anything shown changes (a
reprocessed sample, a download counted, a new sample on a listing's first page) and never
otherwise. It is weak (`W/`): a proxy that compresses the body keeps it valid.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

# Listings and creator pages change as samples are published: a CDN or browser may reuse
# them for a few seconds, then asks again (a 304 when nothing changed).
LISTING = "public, max-age=10, must-revalidate"
# A published sample or the status of a settled one changes rarely (a reprocess, a download).
SETTLED = "public, max-age=60, must-revalidate"
# A sample on its way through the pipeline: always ask, cheaply (If-None-Match → 304).
IN_FLIGHT = "public, no-cache"
# Admin views (they differ by token): never stored by anyone.
PRIVATE = "private, no-store"
JSON_TYPE = "application/json"
# The OpenAPI `responses=` entry of a cacheable route.
NOT_MODIFIED = {"description": "Not Modified: If-None-Match names the current ETag"}


def json_body(document: Any) -> bytes:
    """The JSON of a response document, as pydantic would write it (UTC times end in Z)."""
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


def entity_tag(body: bytes) -> str:
    """A weak ETag naming these exact bytes."""
    return f'W/"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def is_fresh(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (weak comparison, `*` matches any)."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def cached_json(request: Request, document: Any, cache_control: str) -> Response:
    """200 with the document, its ETag and `cache_control`; 304 when the client has it."""
    return cached_body(request, json_body(document), cache_control)


def cached_body(request: Request, body: bytes, cache_control: str) -> Response:
    """200 with this JSON body, its ETag and `cache_control`; 304 when the client has it."""
    headers = {"Cache-Control": cache_control}
    if cache_control == PRIVATE:
        return Response(body, media_type=JSON_TYPE, headers=headers)
    headers["ETag"] = etag = entity_tag(body)
    if is_fresh(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=JSON_TYPE, headers=headers)
