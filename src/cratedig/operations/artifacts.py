"""Where a sample's and a creator's media live: each `*_key` column holds an object key in our
storage, or (for a library imported from the replaced system) an absolute external URL, say on
TikTok's CDN, until the media migration re-hosts it."""

from __future__ import annotations

from urllib.parse import urlsplit

from cratedig.models import Creator, Sample
from cratedig.storage.keys import (
    AUDIO_MP3,
    AUDIO_WAV,
    COVER,
    HLS_PLAYLIST,
    ORIGIN_COVER,
    THUMBNAIL,
    VIDEO,
    WAVEFORM_JSON,
    WAVEFORM_PNG,
    AvatarSize,
)

# Sample column prefix (`{prefix}_key`, `{prefix}_bytes`) → the file name under samples/{id}/.
SAMPLE_FILES = {
    "video": VIDEO,
    "thumbnail": THUMBNAIL,
    "cover": COVER,
    "origin_cover": ORIGIN_COVER,
    "wav": AUDIO_WAV,
    "mp3": AUDIO_MP3,
    "hls": HLS_PLAYLIST,
    "waveform_png": WAVEFORM_PNG,
    "waveform_json": WAVEFORM_JSON,
}
# Every processed sample has these; the others depend on the source (video, covers).
REQUIRED = ("wav", "mp3", "hls", "waveform_png", "waveform_json")
# What the media migration re-hosts: the post's own media, which expire on TikTok's CDN.
MIGRATED = ("video", "thumbnail", "cover", "origin_cover")
AVATAR_SIZES = tuple(size.value for size in AvatarSize)


def is_external(value: str | None) -> bool:
    """True for an absolute http(s) URL (not an object key in our storage)."""
    return bool(value) and urlsplit(str(value)).scheme in ("http", "https")


def url_host(value: str) -> str:
    """The lower-case host of a URL ("" when it has none)."""
    return (urlsplit(value).hostname or "").lower()


def sample_artifacts(sample: Sample) -> dict[str, str | None]:
    """Each artifact's stored value (key, external URL or None), by column prefix."""
    return {prefix: getattr(sample, f"{prefix}_key") for prefix in SAMPLE_FILES}


def creator_avatars(creator: Creator) -> dict[str, str | None]:
    """Each avatar's stored value (key, external URL or None), by size."""
    return {size: getattr(creator, f"avatar_{size}_key") for size in AVATAR_SIZES}
