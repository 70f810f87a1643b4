"""Fetch a sample's source into a directory: the media file and its metadata as a plain dict."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cratedig.config import Settings
from cratedig.sources import tiktok
from cratedig.sources.direct import fetch_direct
from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.urls import SourceKind

# Hashtags that say nothing about the sound.
NOISE_TAGS = frozenset(
    {"fyp", "foryou", "foryoupage", "fy", "viral", "trending", "xyzbca", "tiktok", "fypシ"}
)


def url_source_id(canonical_url: str) -> str:
    """A stable id for a direct URL, so the same URL submitted twice is one sample."""
    return hashlib.sha256(canonical_url.encode()).hexdigest()[:40]


def tiktok_options(settings: Settings) -> tiktok.TikTokOptions:
    """How this deployment talks to TikTok."""
    return tiktok.TikTokOptions()


def fetch_source(
    kind: SourceKind, url: str, workdir: Path, settings: Settings
) -> tuple[Path, dict[str, Any]]:
    """Download the source media into `workdir`; return its path and the metadata."""
    if kind is SourceKind.URL:
        media = fetch_direct(url, workdir / "source", settings.allowed_hosts)
        return media.path, {"title": media.title, "source_url": media.final_url}
    info = tiktok.extract(url, workdir, tiktok_options(settings))
    files = [p for p in workdir.iterdir() if p.name.startswith("source.")]
    if not files:
        raise SourceError(SourceErrorCode.NOT_FOUND, f"TikTok: no media file for {url}")
    return files[0], tiktok_metadata(info)


def tiktok_metadata(info: dict[str, Any]) -> dict[str, Any]:
    """The fields we keep from yt-dlp's TikTok info dict (JSON-friendly values only)."""
    description = str(info.get("description") or "")
    tags = [t.lstrip("#").lower() for t in info.get("tags") or [] if t]
    tags += [w[1:].lower() for w in description.split() if w.startswith("#") and len(w) > 1]
    timestamp = info.get("timestamp")
    return {
        "title": _title_without_hashtags(str(info.get("title") or description)),
        "description": description,
        "tags": sorted({t for t in tags if t not in NOISE_TAGS}),
        "view_count": info.get("view_count"),
        "like_count": info.get("like_count"),
        "share_count": info.get("repost_count"),
        "comment_count": info.get("comment_count"),
        "posted_at": (
            datetime.fromtimestamp(timestamp, UTC).isoformat()
            if isinstance(timestamp, int | float)
            else None
        ),
        "sound_title": info.get("track"),
        "sound_artist": ", ".join(info.get("artists") or []) or info.get("artist"),
        "creator_username": info.get("uploader"),
        "creator_nickname": info.get("channel"),
        "creator_source_id": info.get("uploader_id") or info.get("channel_id"),
        "cover_url": _thumbnail(info, "cover") or info.get("thumbnail"),
        "source_url": info.get("webpage_url"),
    }


def _title_without_hashtags(text: str) -> str:
    words = [w for w in text.split() if not w.startswith("#")]
    return " ".join(words)[:300]


def _thumbnail(info: dict[str, Any], wanted: str) -> str | None:
    for thumb in info.get("thumbnails") or []:
        if thumb.get("id") == wanted and thumb.get("url"):
            return str(thumb["url"])
    return None
