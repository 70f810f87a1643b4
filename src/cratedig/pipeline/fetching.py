"""Fetch a sample's source into a directory: the media file and its metadata as a plain dict."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from cratedig.config import Settings
from cratedig.media.children import ChildLimits
from cratedig.media.errors import ToolError, ToolLimitError
from cratedig.media.ffmpeg import MediaInfo, probe
from cratedig.pipeline.pacing import SharedPace
from cratedig.sources import tiktok
from cratedig.sources.direct import DirectFetchLimits, fetch_direct
from cratedig.sources.http import Pace
from cratedig.sources.tiktok_metadata import post_metadata
from cratedig.sources.urls import SourceKind

TIKTOK_PACE = "tiktok-pages"


def url_source_id(canonical_url: str) -> str:
    """A stable id for a direct URL, so the same URL submitted twice is one sample."""
    return hashlib.sha256(canonical_url.encode()).hexdigest()[:40]


def tiktok_options(settings: Settings, *, shared_pace: bool = True) -> tiktok.TikTokOptions:
    """How this deployment talks to TikTok (page requests paced across all workers)."""
    options = tiktok.TikTokOptions(
        proxy=settings.tiktok_proxy,
        cookies_file=str(settings.tiktok_cookies_file) if settings.tiktok_cookies_file else None,
        timeout_seconds=settings.tiktok_timeout_seconds,
        allowed_hosts=settings.allowed_hosts,
    )
    if not shared_pace:
        return options
    return replace(options, pace=SharedPace(TIKTOK_PACE, settings.tiktok_rps))


def download_pace(settings: Settings, cancelled: Callable[[], bool] | None = None) -> Pace:
    """The pace a source's media download must keep; `cancelled` ends it when it says so."""
    return Pace(
        settings.download_min_bytes_per_second, settings.download_slow_window_seconds, cancelled
    )


def fetch_source(
    kind: SourceKind,
    url: str,
    workdir: Path,
    settings: Settings,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Download the source media into `workdir` within CRATEDIG_DOWNLOAD_*, stopping as soon
    as `cancelled` says so; return its path and the metadata."""
    pace = download_pace(settings, cancelled)
    seconds = settings.download_timeout_seconds
    if kind is SourceKind.URL:
        limits = DirectFetchLimits(max_seconds=seconds, pace=pace)
        media = fetch_direct(url, workdir / "source", settings.allowed_hosts, limits)
        return media.path, {"title": media.title, "source_url": media.final_url}
    options = replace(tiktok_options(settings), media_seconds=seconds, media_pace=pace)
    post = tiktok.fetch_post(url, workdir, options)
    assert post.media is not None  # fetch_post downloads unless told not to
    return post.media, post_metadata(post.info, post.item, settings.noise_tag_set)


def probe_source(path: Path, limits: ChildLimits) -> MediaInfo:
    """Probe a downloaded source; an unreadable one fails with a reason naming no temp path."""
    try:
        return probe(path, limits)
    except ToolLimitError:
        raise
    except ToolError as exc:
        # ffprobe's last line starts with the file's private path: keep only what it says.
        stderr = exc.stderr_tail.replace(f"{path}: ", "").replace(str(path.parent), "")
        raise ToolError(
            "ffprobe", "the downloaded source is not a readable audio or video file", stderr
        ) from exc
