"""CORS, closed by default: only CRATEDIG_CORS_ORIGINS get CORS headers (no credentials)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

ALLOWED_METHODS = ["GET", "HEAD", "POST", "DELETE"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "X-Request-ID"]
EXPOSED_HEADERS = ["Location", "Retry-After", "X-Request-ID"]
PREFLIGHT_CACHE_SECONDS = 600


def install_cors(app: FastAPI, origins: list[str]) -> None:
    """Answer CORS for `origins` only; with none, no CORS header is ever sent."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        # The admin token travels in a header the page sets itself: cookies are never needed.
        allow_credentials=False,
        max_age=PREFLIGHT_CACHE_SECONDS,
    )
