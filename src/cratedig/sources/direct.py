"""Fetch a media file from a direct http(s) URL on an allowed host, safely and bounded."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.urls import check_connected_address, check_public_address, host_is_allowed

MAX_REDIRECTS = 5
_STATUS_CODES = {
    404: SourceErrorCode.NOT_FOUND,
    410: SourceErrorCode.NOT_FOUND,
    401: SourceErrorCode.PRIVATE,
    403: SourceErrorCode.PRIVATE,
    429: SourceErrorCode.RATE_LIMITED,
}
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
) -> DirectMedia:
    """Download `url` to `target`, checking the host of every redirect hop.

    `accept` lists the content-type prefixes taken (audio and video by default).
    """
    limits = limits or DirectFetchLimits()
    timeout = httpx.Timeout(limits.timeout_seconds, connect=min(10.0, limits.timeout_seconds))
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            _check_hop(current, allowed_hosts)
            try:
                with client.stream("GET", current) as response:
                    check_peer(current, response, allowed_hosts)
                    if response.is_redirect and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    _check_response(response, limits, accept)
                    size = _save(response, target, limits)
                    content_type = response.headers.get("content-type", "").split(";")[0]
                    return DirectMedia(target, current, _title_from(current), content_type, size)
            except httpx.TimeoutException as exc:
                raise SourceError(SourceErrorCode.NETWORK, f"timed out fetching {current}") from exc
            except httpx.TransportError as exc:
                raise SourceError(
                    SourceErrorCode.NETWORK, f"network error fetching {current}: {exc}"
                ) from exc
    raise SourceError(SourceErrorCode.NETWORK, f"more than {MAX_REDIRECTS} redirects from {url}")


def _check_hop(url: str, allowed_hosts: frozenset[str]) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host_is_allowed(host, allowed_hosts):
        raise SourceError(SourceErrorCode.HOST_NOT_ALLOWED, f"refused to fetch {url}")
    check_public_address(host, allowed_hosts)


def check_peer(url: str, response: httpx.Response, allowed_hosts: frozenset[str]) -> None:
    """Refuse a response whose connected peer is private (DNS rebinding after the hop check)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    address = str(peer[0]) if isinstance(peer, tuple) and peer else None
    check_connected_address((urlsplit(url).hostname or "").lower(), address, allowed_hosts)


def _check_response(
    response: httpx.Response, limits: DirectFetchLimits, accept: tuple[str, ...]
) -> None:
    if response.status_code >= 400:
        code = _STATUS_CODES.get(response.status_code)
        if code is None:
            code = (
                SourceErrorCode.NETWORK
                if response.status_code >= 500
                else SourceErrorCode.NOT_FOUND
            )
        raise SourceError(code, f"{response.url} answered HTTP {response.status_code}")
    content_type = response.headers.get("content-type", "application/octet-stream").lower()
    if not content_type.startswith(accept):
        raise SourceError(
            SourceErrorCode.UNSUPPORTED_MEDIA,
            f"{response.url} is {content_type.split(';')[0]}, not audio or video",
        )
    declared = int(response.headers.get("content-length") or 0)
    if declared > limits.max_bytes:
        raise SourceError(
            SourceErrorCode.TOO_LARGE,
            f"{response.url} is {declared} bytes; the limit is {limits.max_bytes}",
        )


def _save(response: httpx.Response, target: Path, limits: DirectFetchLimits) -> int:
    """Stream the body to `target`, counting bytes (Content-Length is not trusted)."""
    size = 0
    deadline = time.monotonic() + limits.max_seconds
    try:
        with target.open("wb") as out:
            for chunk in response.iter_bytes(1 << 16):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise SourceError(
                        SourceErrorCode.TOO_LARGE,
                        f"{response.url} is larger than the limit of {limits.max_bytes} bytes",
                    )
                if time.monotonic() > deadline:
                    raise SourceError(
                        SourceErrorCode.NETWORK,
                        f"{response.url} took over {limits.max_seconds:.0f} s to download",
                    )
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)  # never leave a partial file that looks like media
        raise
    return size


def _title_from(url: str) -> str:
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return name.rsplit(".", 1)[0] if "." in name else name
