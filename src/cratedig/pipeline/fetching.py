"""Fetch a sample's source into a directory: the media file and its metadata as a plain dict."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from cratedig.config import Settings
from cratedig.media.errors import ToolError
from cratedig.media.ffmpeg import MediaInfo, probe
from cratedig.pipeline.pacing import SharedPace
from cratedig.sources import tiktok
from cratedig.sources.direct import fetch_direct
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


def fetch_source(
    kind: SourceKind, url: str, workdir: Path, settings: Settings
) -> tuple[Path, dict[str, Any]]:
    """Download the source media into `workdir`; return its path and the metadata."""
    if kind is SourceKind.URL:
        media = fetch_direct(url, workdir / "source", settings.allowed_hosts)
        return media.path, {"title": media.title, "source_url": media.final_url}
    post = tiktok.fetch_post(url, workdir, tiktok_options(settings))
    assert post.media is not None  # fetch_post downloads unless told not to
    return post.media, post_metadata(post.info, post.item, settings.noise_tag_set)


def probe_source(path: Path) -> MediaInfo:
    """Probe a downloaded source; an unreadable one fails with a reason naming no temp path."""
    try:
        return probe(path)
    except ToolError as exc:
        # ffprobe's last line starts with the file's private path: keep only what it says.
        stderr = exc.stderr_tail.replace(f"{path}: ", "").replace(str(path.parent), "")
        raise ToolError(
            "ffprobe", "the downloaded source is not a readable audio or video file", stderr
        ) from exc
