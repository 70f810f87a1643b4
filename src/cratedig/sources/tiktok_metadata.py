"""Map a TikTok post (yt-dlp's info plus the page's raw item) to our sample and creator fields.

Every value is JSON-friendly: the result travels between workflow steps.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from cratedig.sources.tiktok_page import exact_counts
from cratedig.sources.urls import canonical_tiktok_url

_HASHTAG = re.compile(r"#([^\s#@]+)")
_SPACES = re.compile(r"\s+")
# "original sound" in the languages TikTok shows most (the flag is missing on old posts).
_ORIGINAL_SOUND = (
    "original sound",
    "som original",
    "sonido original",
    "son original",
    "suono originale",
    "originalton",
    "оригинальный звук",
)
MAX_TAGS = 30
AVATAR_FIELDS = {"thumb": "avatarThumb", "medium": "avatarMedium", "large": "avatarLarger"}


def post_metadata(
    info: dict[str, Any], item: dict[str, Any], noise_tags: frozenset[str]
) -> dict[str, Any]:
    """Sample fields from a post, with the creator's profile under "creator"."""
    description = str(item.get("desc") or info.get("description") or "")
    music = _dict(item.get("music"))
    video = _dict(item.get("video"))
    photo = bool(item.get("imagePost"))
    sound_title = _text(info.get("track")) or _text(music.get("title"))
    author_stats = exact_counts(item.get("authorStats"), item.get("authorStatsV2"))
    creator = creator_profile(_author(item), author_stats, info)
    video_id = str(item.get("id") or info.get("id") or "")
    return {
        "title": title_without_hashtags(description) or sound_title or f"TikTok {video_id}",
        "description": description,
        "tags": tags_of(description, item, noise_tags),
        "posted_at": _iso(_int(item.get("createTime")) or _int(info.get("timestamp"))),
        "duration": _int(video.get("duration"))
        or _int(music.get("duration"))
        or info.get("duration"),
        "view_count": _count(info, item, "view_count", "playCount"),
        "like_count": _count(info, item, "like_count", "diggCount"),
        "share_count": _count(info, item, "repost_count", "shareCount"),
        "comment_count": _count(info, item, "comment_count", "commentCount"),
        "save_count": _count(info, item, "save_count", "collectCount"),
        "sound_title": sound_title,
        # The page's own spelling: yt-dlp splits "A & B" into a list we could not rejoin.
        "sound_artist": _text(music.get("authorName")) or ", ".join(info.get("artists") or []),
        "sound_album": _text(info.get("album")) or _text(music.get("album")),
        "sound_is_original": is_original_sound(music, sound_title),
        "region": _region(item.get("locationCreated")),
        "post_type": "photo" if photo else "video",
        "cover_url": _first_image(item)
        if photo
        else _url(video.get("cover")) or _thumb(info, "cover"),
        "origin_cover_url": None
        if photo
        else _url(video.get("originCover")) or _thumb(info, "originCover"),
        "canonical_url": canonical_tiktok_url(video_id, creator.get("username") or "", photo),
        "creator": creator,
    }


def creator_profile(
    author: dict[str, Any], stats: dict[str, Any], info: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Creator fields from a page's author (or user) block and its stats block."""
    info = info or {}
    return {
        "username": _text(author.get("uniqueId")) or _text(info.get("uploader")),
        "nickname": _text(author.get("nickname")) or _text(info.get("channel")),
        "source_id": _text(author.get("id")) or _text(info.get("uploader_id")),
        "sec_uid": _text(author.get("secUid")) or _text(info.get("channel_id")),
        "signature": _text(author.get("signature")),
        "verified": bool(author.get("verified")) if "verified" in author else None,
        "follower_count": _int(stats.get("followerCount")),
        "following_count": _int(stats.get("followingCount")),
        "heart_count": _int(stats.get("heartCount")) or _int(stats.get("heart")),
        "video_count": _int(stats.get("videoCount")),
        "avatar_urls": {size: _url(author.get(name)) for size, name in AVATAR_FIELDS.items()},
    }


def is_complete_profile(profile: dict[str, Any]) -> bool:
    """True when a profile has its counts and all three avatars (no profile page needed)."""
    avatars = profile.get("avatar_urls") or {}
    return profile.get("follower_count") is not None and all(avatars.get(s) for s in AVATAR_FIELDS)


def title_without_hashtags(text: str) -> str:
    """The description without its hashtags, on one line."""
    return _SPACES.sub(" ", _HASHTAG.sub(" ", text)).strip()[:300]


def tags_of(description: str, item: dict[str, Any], noise_tags: frozenset[str]) -> list[str]:
    """Hashtags from the text, the page's hashtag list and its challenges; minus noise."""
    found = [m.group(1) for m in _HASHTAG.finditer(description)]
    found += [
        _text(e.get("hashtagName")) or ""
        for e in item.get("textExtra") or []
        if isinstance(e, dict)
    ]
    found += [
        _text(c.get("title")) or "" for c in item.get("challenges") or [] if isinstance(c, dict)
    ]
    tags: list[str] = []
    for raw in found:
        tag = raw.strip().lstrip("#").lower()[:100]
        if tag and tag not in noise_tags and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def is_original_sound(music: dict[str, Any], title: str | None) -> bool | None:
    """TikTok's own flag, or the "original sound" title when the flag is missing."""
    if isinstance(music.get("original"), bool):
        return bool(music["original"])
    if title is None:
        return None
    return title.lower().startswith(_ORIGINAL_SOUND)


def _author(item: dict[str, Any]) -> dict[str, Any]:
    author = item.get("author")
    if isinstance(author, dict):
        return author
    return _dict(item.get("authorInfo"))


def _count(
    info: dict[str, Any], item: dict[str, Any], info_name: str, stat_name: str
) -> int | None:
    """The exact `statsV2` figure first: `stats` (and yt-dlp's figures, read from it) are
    rounded by TikTok (1776621 → 1800000)."""
    for value in (
        _dict(item.get("statsV2")).get(stat_name),
        info.get(info_name),
        _dict(item.get("stats")).get(stat_name),
    ):
        if (count := _int(value)) is not None:
            return count
    return None


def _first_image(item: dict[str, Any]) -> str | None:
    images = _dict(item.get("imagePost")).get("images") or []
    for image in images:
        urls = _dict(_dict(image).get("imageURL")).get("urlList") or []
        if urls:
            return _url(urls[0])
    return None


def _thumb(info: dict[str, Any], wanted: str) -> str | None:
    for thumb in info.get("thumbnails") or []:
        if thumb.get("id") == wanted and thumb.get("url"):
            return str(thumb["url"])
    return None


def _region(value: Any) -> str | None:
    text = _text(value)
    return text.upper()[:8] if text else None


def _iso(timestamp: int | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat() if timestamp else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _url(value: Any) -> str | None:
    text = _text(value)
    return text if text and text.startswith(("https://", "http://")) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
