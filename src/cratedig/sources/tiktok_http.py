"""Our own requests to TikTok (short links, profile pages, images): a browser's TLS
fingerprint, the operator's proxy and cookies, bounded, and checked hop by hop."""

from __future__ import annotations

import http.cookiejar
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cratedig.sources.errors import SourceError, SourceErrorCode, status_error
from cratedig.sources.http import (
    ClosedOnExit,
    Deadline,
    HopRules,
    Pace,
    TransferLimits,
    read_body,
    save_body,
)
from cratedig.sources.http_curl import CheckedSession
from cratedig.sources.urls import TIKTOK_HOSTS

# Where TikTok serves pages, video, audio and images (a host or any subdomain of one).
TIKTOK_MEDIA_HOSTS = frozenset(
    {
        "tiktok.com",
        "tiktokv.com",
        "tiktokv.us",
        "tiktokv.eu",
        "tiktokcdn.com",
        "tiktokcdn-us.com",
        "tiktokcdn-eu.com",
        "ibyteimg.com",
        "ibytedtos.com",
        "byteoversea.com",
        "muscdn.com",
    }
)
PAGE_LIMIT = 8 * 1024 * 1024  # TikTok's video pages are ~300 KB; anything huge is not one
IMAGE_LIMIT = 20 * 1024 * 1024
IMPERSONATE = "chrome"
TRANSFER_SECONDS = 120.0  # a whole body (page or image): a slow drip must not hold a worker


def no_pacing() -> None:
    """The default pace: none (the pipeline passes a pace shared by every worker)."""


@dataclass(frozen=True)
class TikTokOptions:
    """How we talk to TikTok: proxy, cookies, timeout, extra allowed hosts and the pace."""

    proxy: str | None = None
    cookies_file: str | None = None
    timeout_seconds: float = 20.0
    allowed_hosts: frozenset[str] = frozenset()
    # A post's media download (all of yt-dlp's requests for it): wall clock and pace.
    media_seconds: float = 600.0
    media_pace: Pace | None = field(default=None, compare=False)
    # Called before each request for a TikTok web page, so all workers share one pace.
    pace: Callable[[], None] = field(default=no_pacing, compare=False)


@dataclass(frozen=True)
class Fetched:
    """One answered request: where it ended, its status, headers and body."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes


def tiktok_rules(options: TikTokOptions) -> HopRules:
    """Where our requests to TikTok may go: TikTok's hosts (and the extra allowed ones),
    public addresses unless through the operator's proxy, which resolves names itself."""
    return HopRules(
        hosts=TIKTOK_MEDIA_HOSTS | TIKTOK_HOSTS | options.allowed_hosts,
        trusted=options.allowed_hosts,
        through_proxy=options.proxy is not None,
    )


def check_tiktok_url(url: str, options: TikTokOptions) -> None:
    """Refuse a URL outside TikTok's hosts, or (without a proxy) one resolving privately."""
    tiktok_rules(options).check_url(url)


class TikTokClient(ClosedOnExit):
    """A browser-like HTTP session for TikTok; close it (or use `with`)."""

    def __init__(self, options: TikTokOptions) -> None:
        self.options = options
        self._session = CheckedSession(
            tiktok_rules(options),
            impersonate=IMPERSONATE,
            proxy=options.proxy,
            timeout=options.timeout_seconds,
            cookies=_load_cookies(options.cookies_file),
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._session.close()

    def get(self, url: str, *, max_bytes: int) -> Fetched:
        """GET a CDN object (not paced: pages are read through yt-dlp, which answers TikTok's
        bot check), following redirects within TikTok; an error status raises its reason."""
        limits = TransferLimits(max_bytes, TRANSFER_SECONDS)
        deadline = Deadline(limits.max_seconds)
        answer = self._session.open("GET", url, deadline)
        try:
            if answer.status >= 400:
                raise status_error(answer.status, answer.url, "cdn")
            body = read_body(answer, limits, deadline) if answer.status < 300 else b""
            return Fetched(answer.url, answer.status, answer.headers, body)
        finally:
            answer.close()

    def save(self, url: str, target: Path, limits: TransferLimits, accept: tuple[str, ...]) -> int:
        """Stream a CDN object to `target` (one of the `accept`ed content types); its size."""
        deadline = Deadline(limits.max_seconds)
        answer = self._session.open("GET", url, deadline)
        try:
            if answer.status >= 300:
                raise status_error(answer.status, answer.url, "cdn")
            kind = answer.headers.get("content-type", "application/octet-stream").lower()
            if not kind.startswith(accept):
                raise SourceError(
                    SourceErrorCode.UNSUPPORTED_MEDIA, f"{url[:200]} is {kind.split(';')[0]}"
                )
            return save_body(answer, limits, deadline, target)
        finally:
            answer.close()

    def redirect_target(self, url: str, accept: Callable[[str], bool]) -> str:
        """Follow redirects from `url` (HEAD) until a URL `accept`s; raise if none does."""
        self.options.pace()
        reached = self._session.walk("HEAD", url, stop=accept)
        if reached.answer is None:
            return reached.url
        reached.answer.close()
        if reached.answer.status >= 400:
            raise status_error(reached.answer.status, reached.url, "page")
        raise SourceError(SourceErrorCode.NOT_FOUND, f"the short link {url} leads to no post")


def _load_cookies(path: str | None) -> http.cookiejar.CookieJar | None:
    if not path:
        return None
    jar = http.cookiejar.MozillaCookieJar(path)
    try:
        jar.load(ignore_discard=True, ignore_expires=True)
    except (OSError, http.cookiejar.LoadError) as exc:
        raise SourceError(
            SourceErrorCode.LOGIN_REQUIRED, f"cannot read the TikTok cookies file {path}: {exc}"
        ) from exc
    return jar
