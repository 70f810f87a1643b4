"""Media migration's downloads: where a URL belongs, and storing external media at our keys.

TikTok's hosts (parsed, never matched as substrings) go through the TikTok client; any other
host directly, both on the one checked client: every hop's address must be public (or an
explicitly allowed IP address).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cratedig.artifacts import VIDEO, Artifact
from cratedig.config import Settings
from cratedig.media.errors import MediaError
from cratedig.media.ffmpeg import probe
from cratedig.media.workdir import job_directory
from cratedig.pipeline.fetching import tiktok_options
from cratedig.pipeline.images import IMAGE_LIMIT, to_jpeg
from cratedig.process_options import child_limits
from cratedig.runtime import current_runtime
from cratedig.sources.direct import DirectFetchLimits, fetch_direct
from cratedig.sources.http import TransferLimits
from cratedig.sources.tiktok import MAX_MEDIA_BYTES, MAX_MEDIA_SECONDS
from cratedig.sources.tiktok_http import TIKTOK_MEDIA_HOSTS, TRANSFER_SECONDS, TikTokClient
from cratedig.sources.urls import TIKTOK_HOSTS, host_is_allowed
from cratedig.storage import InvalidKey, validate_key

IMAGE_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")
VIDEO_TYPES = ("video/", "application/octet-stream", "binary/octet-stream")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Item:
    """One external media value: its artifact, URL and the key it belongs at."""

    name: str  # "video", "origin cover", "avatar thumb"
    artifact: Artifact
    url: str
    key: str

    @property
    def video(self) -> bool:
        """True for the post's video (probed as MP4); every other item is an image."""
        return self.artifact is VIDEO


@dataclass(frozen=True)
class Stored:
    """Where an item's media now is in our storage."""

    key: str
    size: int
    note: str = ""


def url_host(value: str) -> str:
    """The lower-case host of a URL ("" when it has none)."""
    return (urlsplit(value).hostname or "").lower()


def is_tiktok_host(host: str) -> bool:
    """True for TikTok's own hosts and CDNs (a listed domain or a subdomain of one)."""
    return host_is_allowed(host.lower(), TIKTOK_MEDIA_HOSTS | TIKTOK_HOSTS)


def our_key(url: str, public_base_url: str) -> str | None:
    """The object key of a URL under our public media base URL (same scheme, host, port and
    path prefix), or None when the URL is not ours."""
    if not public_base_url:
        return None
    base, parts = urlsplit(public_base_url), urlsplit(url)
    if _origin(parts) is None or _origin(parts) != _origin(base):
        return None
    prefix = base.path.rstrip("/") + "/"
    if not parts.path.startswith(prefix):
        return None
    try:
        return validate_key(unquote(parts.path[len(prefix) :]))
    except InvalidKey:
        return None


def _origin(parts: Any) -> tuple[str, str, int | None] | None:
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a malformed port
        return None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class Fetcher:
    """Stores external media at our keys; one TikTok session serves the whole run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.storage = current_runtime().storage
        self._tiktok: TikTokClient | None = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._tiktok is not None:
            self._tiktok.close()

    def store(self, item: Item) -> Stored:
        """Put the item's media at its key (or find it ours already); where and how big."""
        ours = our_key(item.url, self.settings.public_media_base_url)
        if ours is not None and (found := self.storage.head(ours)) is not None:
            return Stored(ours, found.size, "our own URL; no download")
        with job_directory() as work:
            path = self.download(item.url, work / "download", video=item.video)
            if item.video:
                info = probe(path, child_limits(self.settings.media))
                if not (info.has_video and "mp4" in info.format_name):
                    raise MediaError(f"{item.url[:200]} is not an MP4 video")
                self.storage.put_file(item.key, path, item.artifact.content_type)
                return Stored(item.key, path.stat().st_size)
            jpeg = to_jpeg(path.read_bytes(), item.url)
            self.storage.put_bytes(item.key, jpeg, item.artifact.content_type)
            return Stored(item.key, len(jpeg))

    def download(self, url: str, target: Path, *, video: bool) -> Path:
        """Download `url` to `target`: TikTok's hosts through the TikTok client, others
        directly once their address is known to be public (or explicitly allowed)."""
        host = url_host(url)
        limit = MAX_MEDIA_BYTES if video else IMAGE_LIMIT
        accept = VIDEO_TYPES if video else IMAGE_TYPES
        if is_tiktok_host(host):
            seconds = MAX_MEDIA_SECONDS if video else TRANSFER_SECONDS
            self._client().save(url, target, TransferLimits(limit, seconds), accept)
            return target
        # Redirects stay on the URL's own host (or an allowed one); every hop's address is
        # checked, and only an IP address listed in the settings skips that check.
        allowed = self.settings.allowed_hosts | {host}
        limits = DirectFetchLimits(max_bytes=limit)
        fetch_direct(url, target, allowed, limits, accept, trusted=self.settings.allowed_hosts)
        return target

    def _client(self) -> TikTokClient:
        if self._tiktok is None:
            self._tiktok = TikTokClient(tiktok_options(self.settings, shared_pace=False))
        return self._tiktok
