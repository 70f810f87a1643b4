"""Where a sample's and a creator's media live: each artifact column holds an object key in our
storage, or (for a library imported from the replaced system) an absolute external URL, say on
TikTok's CDN, until the media migration re-hosts it. The artifacts are `cratedig.artifacts`'."""

from __future__ import annotations

from urllib.parse import urlsplit

from cratedig.artifacts import (
    CREATOR_AVATARS,
    REHOSTED_ARTIFACTS,
    REQUIRED_ARTIFACTS,
    SAMPLE_ARTIFACTS,
    is_external,
)

__all__ = ["AVATAR_SIZES", "MIGRATED", "REQUIRED", "SAMPLE_FILES", "is_external", "url_host"]

# Artifact name (`mp3`, `hls`, ...) → the file name under samples/{id}/, in report order.
SAMPLE_FILES = {artifact.name: artifact.file for artifact in SAMPLE_ARTIFACTS}
# Every processed sample has these; the others depend on the source (video, covers).
REQUIRED = tuple(artifact.name for artifact in REQUIRED_ARTIFACTS)
# What the media migration re-hosts: the post's own media, which expire on TikTok's CDN.
MIGRATED = tuple(artifact.name for artifact in REHOSTED_ARTIFACTS)
AVATAR_SIZES = tuple(avatar.name for avatar in CREATOR_AVATARS)


def url_host(value: str) -> str:
    """The lower-case host of a URL ("" when it has none)."""
    return (urlsplit(value).hostname or "").lower()
