"""Re-host TikTok's images (covers, avatars) as JPEG in our storage."""

from __future__ import annotations

import io
import logging

from PIL import Image, UnidentifiedImageError

from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.tiktok import TikTokOptions, download_image

log = logging.getLogger(__name__)
IMAGE_LIMIT = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb guard; TikTok's largest covers are ~2 MP


def fetch_jpeg(url: str, options: TikTokOptions) -> bytes:
    """Download an image from TikTok's CDN and re-encode it as JPEG."""
    return to_jpeg(download_image(url, options, IMAGE_LIMIT), url)


def to_jpeg(data: bytes, where: str) -> bytes:
    """Re-encode an image as an RGB JPEG; a file that is not an image is a clear error."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise SourceError(SourceErrorCode.TOO_LARGE, f"{where[:200]} is too many pixels")
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise SourceError(
            SourceErrorCode.UNSUPPORTED_MEDIA, f"{where[:200]} is not a readable image"
        ) from exc
    return out.getvalue()


def fetch_optional_jpeg(url: str, options: TikTokOptions, what: str) -> bytes | None:
    """`fetch_jpeg`, but a missing, expired or broken image is logged and skipped (None): the
    sample is still worth having. Other retryable trouble (network, throttling) is raised for
    a retry; an expired link (403) answers the same however often it is asked."""
    try:
        return fetch_jpeg(url, options)
    except SourceError as exc:
        if exc.retryable and exc.code is not SourceErrorCode.MEDIA_EXPIRED:
            raise
        log.warning("%s not stored: %s", what, exc)
        return None
