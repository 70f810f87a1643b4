"""The creator step's work: profile fields, and avatars in three sizes, fetched at most once
per CRATEDIG_CREATOR_TTL_HOURS.

A profile page that cannot be had now (TikTok's bot check, throttling, the network) never
fails the sample: the post's author data is kept, and the creator is left unfetched
(`last_fetched_at` not advanced), so the next sample of that creator asks for the page again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from cratedig.artifacts import CREATOR_AVATARS, Artifact
from cratedig.creators.repository import CreatorRepository
from cratedig.models import Creator, utcnow
from cratedig.pipeline.fetching import tiktok_options
from cratedig.pipeline.images import fetch_optional_jpeg
from cratedig.runtime import current_runtime
from cratedig.sources import tiktok
from cratedig.sources.errors import SourceError
from cratedig.sources.tiktok_metadata import creator_profile, is_complete_profile
from cratedig.storage.keys import avatar_key

log = logging.getLogger(__name__)
PROFILE_FIELDS = (
    "nickname",
    "source_id",
    "sec_uid",
    "signature",
    "verified",
    "follower_count",
    "following_count",
    "heart_count",
    "video_count",
)


def record_creator(profile: dict[str, Any]) -> str | None:
    """Upsert the post's creator; refresh profile and avatars when stale. Returns the id."""
    username = profile.get("username")
    if not username:
        return None
    runtime = current_runtime()
    ttl = timedelta(hours=runtime.settings.creator_ttl_hours)
    with runtime.transaction() as session:
        repo = CreatorRepository(session)
        source_id = profile.get("source_id")
        known = (repo.get_by_source_id(str(source_id)) if source_id else None) or (
            repo.get_by_username(str(username))
        )
        fresh = known is not None and _is_fresh(known, ttl)
    complete = True
    if not fresh:
        profile, complete = _with_profile_page(profile)
    with runtime.transaction() as session:
        fields = {name: profile.get(name) for name in PROFILE_FIELDS if name != "source_id"}
        creator = CreatorRepository(session).upsert_profile(
            str(username), profile.get("source_id"), **fields
        )
        creator_id = creator.id
    if not fresh:
        _store_avatars(creator_id, profile.get("avatar_urls") or {}, fetched=complete)
    return str(creator_id)


def _is_fresh(creator: Creator, ttl: timedelta) -> bool:
    fetched = creator.last_fetched_at
    has_avatars = all(avatar.stored(creator) for avatar in CREATOR_AVATARS)
    return fetched is not None and has_avatars and utcnow() - fetched < ttl


def _with_profile_page(profile: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Fill what the video page lacked (counts, avatars) from the profile page; False with
    the post's own data when the page could not be had now and is worth asking again."""
    if is_complete_profile(profile):
        return profile, True
    options = tiktok_options(current_runtime().settings)
    try:
        user, stats = tiktok.fetch_profile(str(profile["username"]), options)
    except SourceError as exc:
        later = " (asked again with this creator's next sample)" if exc.retryable else ""
        log.warning(
            "creator @%s: no profile page (%s); keeping the post's data%s",
            profile["username"],
            exc,
            later,
        )
        return profile, not exc.retryable
    page = creator_profile(user, stats)
    merged = {
        name: page.get(name) if page.get(name) is not None else value
        for name, value in profile.items()
    }
    merged["avatar_urls"] = {
        size: (page["avatar_urls"].get(size) or (profile.get("avatar_urls") or {}).get(size))
        for size in (avatar.name for avatar in CREATOR_AVATARS)
    }
    return merged, True


def _store_avatars(creator_id: uuid.UUID, urls: dict[str, str | None], *, fetched: bool) -> None:
    """Store each avatar at its fixed key, then point the creator at them; `fetched` marks
    the creator fresh for CRATEDIG_CREATOR_TTL_HOURS."""
    runtime = current_runtime()
    options = tiktok_options(runtime.settings)
    stored: dict[Artifact, str] = {}
    for avatar in CREATOR_AVATARS:
        url = urls.get(avatar.name)
        if not url:
            continue
        jpeg = fetch_optional_jpeg(url, options, f"creator {creator_id}: avatar {avatar.name}")
        if jpeg is None:
            continue
        key = avatar_key(creator_id, avatar)
        runtime.storage.put_bytes(key, jpeg, avatar.content_type)
        stored[avatar] = key
    with runtime.transaction() as session:
        creator = CreatorRepository(session).get(creator_id)
        if creator is None:
            return
        for avatar, key in stored.items():
            avatar.store(creator, key)
        if fetched:
            creator.last_fetched_at = utcnow()
