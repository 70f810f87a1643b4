"""The FastAPI app: routes, JSON errors, the HTTP guards (request ids, CORS, body size limit,
submission rate limit), and a lifespan that runs the runtime and DBOS (with the embedded
worker when configured)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from dbos import DBOS
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from cratedig import __version__
from cratedig.config import Settings, load_settings
from cratedig.crates.routes import router as crates_router
from cratedig.creators.routes import router as creators_router
from cratedig.deps import RuntimeDep
from cratedig.errors import install_error_handlers
from cratedig.http.body_limit import BodySizeLimit
from cratedig.http.clients import ClientAddress
from cratedig.http.cors import install_cors
from cratedig.http.rate_limit import SubmitRateLimit
from cratedig.http.request_context import RequestContext
from cratedig.logging import Redactor, secrets_of
from cratedig.media_routes import router as media_router
from cratedig.operations.routes import build_router as operations_router
from cratedig.pipeline.worker import (
    embedded_worker_settings,
    start_processing,
    stop_processing,
)
from cratedig.runtime import Runtime
from cratedig.samples.download_routes import router as downloads_router
from cratedig.samples.routes import router as samples_router
from cratedig.storage import Storage
from cratedig.web import web_router

MAX_BODY_BYTES = 16 * 1024
HEALTH_PROBE_PREFIX = "health/probe-"
HEALTH: dict[int | str, dict[str, Any]] = {
    503: {"description": "A check failed (named in the body)"}
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API; its lifespan starts the runtime and DBOS, and stops both."""
    settings = settings or load_settings()
    if problems := settings.production_problems():
        raise RuntimeError("refusing to start in production mode: " + "; ".join(problems))

    def start() -> Runtime:
        return start_processing(embedded_worker_settings(settings), worker=settings.embedded_worker)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # DBOS's sync API refuses to run inside an event loop: start and stop in a thread.
        app.state.runtime = await to_thread.run_sync(start)
        try:
            yield
        finally:
            await to_thread.run_sync(stop_processing)

    app = FastAPI(
        title="cratedig",
        version=__version__,
        description="Short videos turned into a music-sample library.",
        lifespan=lifespan,
        # /docs is web.routes' Swagger UI served from our own assets; ReDoc would need a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(operations_router())  # before /samples/{id}: /samples/reprocess
    app.include_router(samples_router)
    app.include_router(downloads_router)
    app.include_router(crates_router)
    app.include_router(creators_router)
    app.include_router(media_router)
    app.add_api_route("/health", health, methods=["GET"], tags=["health"], responses=HEALTH)
    app.include_router(web_router)  # last: the page's paths never shadow the API's
    # The last added runs first: client address, request id and access log, CORS, body
    # limit, rate limit.
    app.add_middleware(SubmitRateLimit, settings=settings)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    install_cors(app, settings.cors_origin_list)
    app.add_middleware(RequestContext)
    app.add_middleware(ClientAddress, settings=settings)
    return app


def health(runtime: RuntimeDep) -> JSONResponse:
    """Database, storage and queue reachable: 200, else 503 naming what failed."""
    checks: dict[str, dict[str, Any]] = {}

    def check(name: str, probe: Any) -> None:
        started = time.perf_counter()
        try:
            probe()
            checks[name] = {"ok": True}
        except Exception as error:  # a health check reports every failure, never raises
            # The answer is public: an error quoting a URL or a key must not carry a secret.
            redact = Redactor(secrets_of(runtime.settings))
            checks[name] = {"ok": False, "error": redact(f"{type(error).__name__}: {error}")[:300]}
        checks[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)

    def database() -> None:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    check("database", database)
    check("storage", lambda: probe_storage(runtime.storage))
    check("queue", lambda: DBOS.list_queued_workflows(limit=1))
    ok = all(result["ok"] for result in checks.values())
    body = {"status": "ok" if ok else "error", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


def probe_storage(storage: Storage) -> None:
    """Write a small object and delete it: a store that reads but refuses writes is not fine."""
    # A key per probe: concurrent health checks must not delete each other's object.
    key = f"{HEALTH_PROBE_PREFIX}{uuid.uuid4().hex}"
    storage.put_bytes(key, b"ok", content_type="text/plain")
    storage.delete(key)
