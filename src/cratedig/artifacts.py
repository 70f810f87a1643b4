"""The one artifact table: every medium a sample or a creator keeps, declared once.

Keys (``storage/keys.py``), publish, API URLs, link checks and the media migration read
these rows; adding an artifact means one row here, the columns on the model and the
fields on the API schema (a test checks the three agree) and a migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Artifact:
    """One stored medium: its object name, content type, DB columns and API URL field."""

    name: str
    """What operations and reports call it (`mp3`, `waveform_png`, an avatar's size)."""
    file: str
    """The object's name under its owner's prefix (``samples/{id}/`` or ``creators/{id}/``)."""
    content_type: str
    column: str
    """The model column holding its object key (or, before a migration, an external URL)."""
    url_field: str
    """The API response field carrying its browser URL."""
    bytes_column: str | None = None
    """The model column holding its size; a folder artifact counts the whole folder."""
    required: bool = False
    """Every processed sample has it; the rest depend on the source (a video, covers)."""
    rehosted: bool = False
    """The post's own media, which expire on TikTok's CDN: the media migration re-hosts them."""
    folder: str | None = None
    """The object stands for this whole folder (an HLS playlist and its segments)."""

    def stored(self, row: object) -> str | None:
        """The row's stored value: an object key, an external URL, or None."""
        value: str | None = getattr(row, self.column)
        return value

    def store(self, row: object, key: str | None, size: int | None = None) -> None:
        """Point the row at `key` (and record its size when the artifact has a size column)."""
        setattr(row, self.column, key)
        if self.bytes_column is not None:
            setattr(row, self.bytes_column, size)


VIDEO = Artifact(
    "video", "video.mp4", "video/mp4", "video_key", "video_url", "video_bytes", rehosted=True
)
THUMBNAIL = Artifact(
    "thumbnail",
    "thumbnail.jpg",
    "image/jpeg",
    "thumbnail_key",
    "thumbnail_url",
    "thumbnail_bytes",
    rehosted=True,
)
COVER = Artifact(
    "cover", "cover.jpg", "image/jpeg", "cover_key", "cover_url", "cover_bytes", rehosted=True
)
ORIGIN_COVER = Artifact(
    "origin_cover",
    "origin_cover.jpg",
    "image/jpeg",
    "origin_cover_key",
    "origin_cover_url",
    "origin_cover_bytes",
    rehosted=True,
)
WAV = Artifact(
    "wav", "audio.wav", "audio/wav", "wav_key", "audio_url_wav", "wav_bytes", required=True
)
MP3 = Artifact(
    "mp3", "audio.mp3", "audio/mpeg", "mp3_key", "audio_url_mp3", "mp3_bytes", required=True
)
HLS = Artifact(
    "hls",
    "hls/playlist.m3u8",
    "application/vnd.apple.mpegurl",
    "hls_key",
    "audio_url_hls",
    "hls_bytes",
    required=True,
    folder="hls",
)
WAVEFORM_PNG = Artifact(
    "waveform_png",
    "waveform.png",
    "image/png",
    "waveform_png_key",
    "waveform_url",
    "waveform_png_bytes",
    required=True,
)
WAVEFORM_JSON = Artifact(
    "waveform_json",
    "waveform.json",
    "application/json",
    "waveform_json_key",
    "waveform_data_url",
    "waveform_json_bytes",
    required=True,
)

SAMPLE_ARTIFACTS: tuple[Artifact, ...] = (
    VIDEO,
    THUMBNAIL,
    COVER,
    ORIGIN_COVER,
    WAV,
    MP3,
    HLS,
    WAVEFORM_PNG,
    WAVEFORM_JSON,
)
"""A sample's artifacts, in the order reports list them."""
REQUIRED_ARTIFACTS = tuple(artifact for artifact in SAMPLE_ARTIFACTS if artifact.required)
REHOSTED_ARTIFACTS = tuple(artifact for artifact in SAMPLE_ARTIFACTS if artifact.rehosted)

AVATAR_THUMB = Artifact(
    "thumb", "avatar_thumb.jpg", "image/jpeg", "avatar_thumb_key", "avatar_thumb_url", rehosted=True
)
AVATAR_MEDIUM = Artifact(
    "medium",
    "avatar_medium.jpg",
    "image/jpeg",
    "avatar_medium_key",
    "avatar_medium_url",
    rehosted=True,
)
AVATAR_LARGE = Artifact(
    "large", "avatar_large.jpg", "image/jpeg", "avatar_large_key", "avatar_large_url", rehosted=True
)

CREATOR_AVATARS: tuple[Artifact, ...] = (AVATAR_THUMB, AVATAR_MEDIUM, AVATAR_LARGE)
"""A creator's avatars, by size (named as TikTok's profile data sizes them)."""


def sample_artifact(name: str) -> Artifact:
    """The sample artifact called `name`; KeyError when there is none."""
    return _by_name(SAMPLE_ARTIFACTS, name)


def avatar(size: str) -> Artifact:
    """The creator avatar of this size; ValueError naming the size when there is none."""
    try:
        return _by_name(CREATOR_AVATARS, size)
    except KeyError:
        sizes = ", ".join(item.name for item in CREATOR_AVATARS)
        raise ValueError(f"not an avatar size: {size!r} (one of {sizes})") from None


def _by_name(table: tuple[Artifact, ...], name: str) -> Artifact:
    for item in table:
        if item.name == name:
            return item
    raise KeyError(name)


def is_external(value: str | None) -> bool:
    """True for an absolute http(s) URL (an imported library's media not yet re-hosted), not an
    object key in our storage."""
    if not value or ":" not in value:  # the usual object key, without parsing it
        return False
    return urlsplit(str(value)).scheme in ("http", "https")
