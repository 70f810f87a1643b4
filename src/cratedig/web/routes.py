"""Routes of the web page: the HTML shell at each page's path, and the hashed assets."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from cratedig.errors import ApiError
from cratedig.web.bundle import DOCS_FILES, Bundle, load_bundle

IMMUTABLE = "public, max-age=31536000, immutable"
# Plain (unhashed) names exist for browsers without import maps: they must revalidate.
REVALIDATE = "no-cache"
PAGE_PATHS = ("/", "/samples/{sample_id}", "/submit", "/operations")

web_router = APIRouter(include_in_schema=False)
BUNDLE: Bundle = load_bundle()
_SHELL_ETAG = '"' + hashlib.sha256(BUNDLE.shell.encode()).hexdigest()[:16] + '"'


def page(if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """The HTML shell; the page's script renders the route from the URL."""
    if BUNDLE.problem is not None:
        message = f"The web page is unavailable: {BUNDLE.problem}. The API still works: /docs"
        return Response(message, status_code=503, media_type="text/plain; charset=utf-8")
    headers = {"Cache-Control": "no-cache", "ETag": _SHELL_ETAG}
    if if_none_match == _SHELL_ETAG:
        return Response(status_code=304, headers=headers)
    return HTMLResponse(BUNDLE.shell, headers=headers)


for _path in PAGE_PATHS:
    web_router.add_api_route(_path, page, methods=["GET", "HEAD"], response_class=HTMLResponse)


@web_router.api_route("/assets/{file_name}", methods=["GET", "HEAD"])
def asset(
    file_name: Annotated[str, Path(max_length=200)],
    accept_encoding: Annotated[str, Header()] = "",
) -> Response:
    """A front-end file: long-cached under its hashed name, revalidated under its plain one."""
    found = BUNDLE.by_hashed_name.get(file_name)
    cache = IMMUTABLE
    if found is None:
        found, cache = BUNDLE.by_name.get(file_name), REVALIDATE
    if found is None:
        raise ApiError(404, "not_found", f"no asset {file_name}", "file_name")
    headers = {
        "Cache-Control": cache,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    body = found.body
    if found.gzipped is not None and "gzip" in accept_encoding.lower():
        body, headers["Content-Encoding"] = found.gzipped, "gzip"
    return Response(body, media_type=found.media_type, headers=headers)


@web_router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> Response:
    """The API's Swagger UI, every file served from here (no outside host: works air-gapped)."""
    found = [BUNDLE.by_name.get(name) for name in DOCS_FILES]
    if None in found:
        message = (
            "The API docs are unavailable: Swagger UI is not installed"
            " (`cd web && npm ci`). The API's description is at /openapi.json"
        )
        return Response(message, status_code=503, media_type="text/plain; charset=utf-8")
    script, style, icon = (asset.url for asset in found if asset is not None)
    root = request.scope.get("root_path", "").rstrip("/")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title="cratedig API",
        swagger_js_url=script,
        swagger_css_url=style,
        swagger_favicon_url=icon,
        swagger_ui_parameters={"validatorUrl": None},
    )
