"""TikTok through yt-dlp: short-link resolution, download, and failures mapped to stable codes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import yt_dlp

from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.urls import TIKTOK_HOSTS, SourceKind, SourceRef, parse_source_url

# h264 plays everywhere; bytevc1 (HEVC) is a fallback; bytevc2 is never playable for us.
VIDEO_FORMAT = "best[vcodec^=h264]/best[vcodec!*=bytevc2][vcodec!*=bvc2]/best"
_MESSAGES: tuple[tuple[tuple[str, ...], SourceErrorCode], ...] = (
    (("10204", "ip address is blocked", "ip blocked"), SourceErrorCode.IP_BLOCKED),
    (("429", "too many requests", "rate limit"), SourceErrorCode.RATE_LIMITED),
    (("private",), SourceErrorCode.PRIVATE),
    (("log in", "login", "cookies"), SourceErrorCode.LOGIN_REQUIRED),
    (("not available in your", "region", "country"), SourceErrorCode.REGION_BLOCKED),
    (("/photo/", "photo post", "slideshow"), SourceErrorCode.UNSUPPORTED_POST),
    (("http error 403", "expired"), SourceErrorCode.MEDIA_EXPIRED),
    (
        (
            "unable to download webpage",
            "timed out",
            "connection",
            "proxy",
            "network",
            "temporary failure",
            "name resolution",
            "urlopen error",
        ),
        SourceErrorCode.NETWORK,
    ),
    (
        (
            "404",
            "not available",
            "unavailable",
            "removed",
            "deleted",
            "unable to find",
            "does not exist",
        ),
        SourceErrorCode.NOT_FOUND,
    ),
)


@dataclass(frozen=True)
class TikTokOptions:
    """How we talk to TikTok: an optional proxy and cookies file, and a timeout."""

    proxy: str | None = None
    cookies_file: str | None = None
    timeout_seconds: float = 20.0


def map_error(message: str) -> SourceError:
    """Turn a yt-dlp error message into one of our stable reasons."""
    lowered = message.lower()
    for needles, code in _MESSAGES:
        if any(needle in lowered for needle in needles):
            return SourceError(code, f"TikTok: {_one_line(message)}")
    return SourceError(SourceErrorCode.NOT_FOUND, f"TikTok: {_one_line(message)}")


def resolve_short_link(ref: SourceRef, options: TikTokOptions) -> SourceRef:
    """Follow a vm./vt./tiktok.com/t/ short link (TikTok hosts only) to the video URL."""
    current = ref.url
    proxy = options.proxy or None
    with httpx.Client(
        timeout=options.timeout_seconds, follow_redirects=False, proxy=proxy
    ) as client:
        for _ in range(5):
            try:
                response = client.head(current)
            except httpx.HTTPError as exc:
                raise SourceError(
                    SourceErrorCode.NETWORK, f"could not resolve the TikTok short link {ref.url}"
                ) from exc
            location = response.headers.get("location")
            if not response.is_redirect or not location:
                break
            current = urljoin(current, location)
            resolved = parse_source_url(current, frozenset())
            if resolved.kind is SourceKind.TIKTOK and not resolved.is_short_link:
                return resolved
    raise SourceError(SourceErrorCode.NOT_FOUND, f"the short link {ref.url} leads to no video")


def extract(
    url: str, workdir: Path, options: TikTokOptions, *, download: bool = True
) -> dict[str, Any]:
    """Run yt-dlp on a canonical TikTok URL; return its info dict (with the file when asked)."""
    params: dict[str, Any] = {
        "quiet": True,
        "no_warnings": True,
        "noplaylist": True,
        "format": VIDEO_FORMAT,
        "outtmpl": str(workdir / "source.%(ext)s"),
        "socket_timeout": options.timeout_seconds,
        "retries": 0,  # our workflow retries with backoff; yt-dlp must fail fast
        "noprogress": True,
    }
    if options.proxy:
        params["proxy"] = options.proxy
    if options.cookies_file:
        params["cookiefile"] = options.cookies_file
    try:
        with yt_dlp.YoutubeDL(params) as ydl:
            info = ydl.extract_info(url, download=download)
    except yt_dlp.utils.DownloadError as exc:
        raise map_error(str(exc)) from exc
    if not isinstance(info, dict):
        raise SourceError(SourceErrorCode.NOT_FOUND, f"TikTok: nothing found at {url}")
    return info


def _one_line(message: str) -> str:
    text = " ".join(message.replace("ERROR:", "").split())
    return text[:300]


__all__ = ["TIKTOK_HOSTS", "TikTokOptions", "extract", "map_error", "resolve_short_link"]
