"""Fetch a media file from a direct http(s) URL on an allowed host, safely and bounded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cratedig.sources.errors import SourceError, SourceErrorCode, status_error
from cratedig.sources.http import (
    Answer,
    HopRules,
    Pace,
    TransferLimits,
    follow,
    save_body,
)
from cratedig.sources.http_plain import PlainClient

MEDIA_TYPES = (
    "audio/",
    "video/",
    "application/octet-stream",
    "application/ogg",
    "binary/octet-stream",
)


@dataclass(frozen=True)
class DirectFetchLimits:
    """Bounds on one download."""

    max_bytes: int = 500 * 1024 * 1024
    timeout_seconds: float = 30.0  # each connect, read and write
    max_seconds: float = 600.0  # the whole download: a slow drip must not hold a worker
    # The pipeline's pace (minimum throughput, cancellation): with one, a slow source is
    # `too_slow` (not retried); without one, passing `max_seconds` is a retryable timeout.
    pace: Pace | None = None


@dataclass(frozen=True)
class DirectMedia:
    """A downloaded file and what the URL tells about it."""

    path: Path
    final_url: str
    title: str
    content_type: str
    size: int


def fetch_direct(
    url: str,
    target: Path,
    allowed_hosts: frozenset[str],
    limits: DirectFetchLimits | None = None,
    accept: tuple[str, ...] = MEDIA_TYPES,
    *,
    trusted: frozenset[str] | None = None,
) -> DirectMedia:
    """Download `url` to `target`; every redirect hop must stay on `allowed_hosts`.

    `accept` lists the content-type prefixes taken (audio and video by default). An IP
    address listed in `trusted` (by default `allowed_hosts`) skips the public-address check.
    """
    limits = limits or DirectFetchLimits()
    rules = HopRules(allowed_hosts, allowed_hosts if trusted is None else trusted)
    caps = TransferLimits(limits.max_bytes, limits.max_seconds, limits.pace)
    deadline = caps.deadline()
    connect = min(10.0, limits.timeout_seconds)
    with PlainClient(limits.timeout_seconds, connect_timeout=connect, pool_size=1) as client:
        answer = follow(client.send, "GET", url, rules, deadline=deadline)
        try:
            _check_response(answer, accept)
            size = save_body(answer, caps, deadline, target)
        finally:
            answer.close()
    content_type = answer.headers.get("content-type", "").split(";")[0]
    return DirectMedia(target, answer.url, _title_from(answer.url), content_type, size)


def _check_response(answer: Answer, accept: tuple[str, ...]) -> None:
    if answer.status >= 400:
        raise status_error(answer.status, answer.url, "direct")
    content_type = answer.headers.get("content-type", "application/octet-stream").lower()
    if not content_type.startswith(accept):
        raise SourceError(
            SourceErrorCode.UNSUPPORTED_MEDIA,
            f"{answer.url[:200]} is {content_type.split(';')[0]}, not audio or video",
        )


def _title_from(url: str) -> str:
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return name.rsplit(".", 1)[0] if "." in name else name
