"""Re-host a post's cover image as JPEG in the sample's staging area."""

from __future__ import annotations

from cratedig.media.ffmpeg import run_ffmpeg
from cratedig.media.workdir import job_directory
from cratedig.runtime import current_runtime
from cratedig.sources.direct import DirectFetchLimits, fetch_direct
from cratedig.storage.keys import COVER, staging_key

# TikTok serves covers from its CDNs; they expire, which is why we keep our own copy.
TIKTOK_IMAGE_HOSTS = frozenset(
    {
        "tiktokcdn.com",
        "tiktokcdn-us.com",
        "tiktokcdn-eu.com",
        "ibyteimg.com",
        "ibytedtos.com",
        "muscdn.com",
    }
)
IMAGE_LIMITS = DirectFetchLimits(max_bytes=20 * 1024 * 1024, timeout_seconds=20.0)


def store_cover(sample_id: str, generation: int, url: str) -> dict[str, int]:
    """Fetch the cover (JPEG, PNG or WebP), convert it to JPEG and stage it as cover.jpg."""
    runtime = current_runtime()
    allowed = runtime.settings.allowed_hosts | TIKTOK_IMAGE_HOSTS
    with job_directory() as work:
        image = fetch_direct(url, work / "cover-source", allowed, IMAGE_LIMITS, ("image/",))
        jpeg = work / COVER
        run_ffmpeg(
            ["-i", str(image.path), "-frames:v", "1", "-q:v", "3", str(jpeg)],
            what="converting the cover to JPEG",
        )
        runtime.storage.put_file(staging_key(sample_id, generation, COVER), jpeg)
        return {COVER: jpeg.stat().st_size}
