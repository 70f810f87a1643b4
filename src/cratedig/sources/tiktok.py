"""TikTok posts through yt-dlp: the page's data, the media file, and every failure mapped to
a stable reason (see README "TikTok")."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yt_dlp.extractor.tiktok import TikTokIE
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, determine_protocol

from cratedig.sources.errors import SourceError, SourceErrorCode, status_error
from cratedig.sources.http import Deadline, TransferLimits
from cratedig.sources.tiktok_http import (
    PAGE_LIMIT,
    TRANSFER_SECONDS,
    TikTokClient,
    TikTokOptions,
    check_tiktok_url,
)
from cratedig.sources.tiktok_page import (
    LOGIN_WORDS,
    USER_DETAIL,
    VIDEO_DETAIL,
    detail_status,
    status_reason,
    user_detail,
)
from cratedig.sources.tiktok_ytdlp import RefusedRequestError, checked_youtube_dl
from cratedig.sources.urls import SourceKind, SourceRef, parse_source_url

# Without watermark, h264 first (plays everywhere), then any other codec except bytevc2
# (ByteDance's VVC, unplayable), then a watermarked copy; audio alone for photo posts.
VIDEO_FORMAT = (
    "best[vcodec^=h264][format_note!*=?watermark]"
    "/best[vcodec!*=bytevc2][format_note!*=?watermark]"
    "/best[vcodec!*=bytevc2]"
    "/bestaudio"
)
MAX_MEDIA_BYTES = 500 * 1024 * 1024
MAX_MEDIA_SECONDS = 600.0  # one media response re-fetched outside the pipeline (operations)
log = logging.getLogger(__name__)
_HTTP_STATUS = re.compile(r"HTTP Error (\d{3})")


@dataclass(frozen=True)
class TikTokPost:
    """A fetched post: yt-dlp's info, the page's raw item, and the media file when asked."""

    info: dict[str, Any]
    item: dict[str, Any]
    media: Path | None


class _DataKeepingTikTokIE(TikTokIE):  # type: ignore[misc]
    """yt-dlp's TikTok extractor, keeping the last page's rehydration data."""

    _universal: dict[str, Any] | None = None

    @classmethod
    def ie_key(cls) -> str:
        return "TikTok"  # replaces the stock extractor in this YoutubeDL only

    def _get_universal_data(self, webpage: str, display_id: str) -> dict[str, Any]:
        data: dict[str, Any] = super()._get_universal_data(webpage, display_id)
        self._universal = data
        return data


class _ProfileReadingIE(_DataKeepingTikTokIE):
    """A profile page read the way yt-dlp reads a post's: its headers, its impersonation, and
    its answer to TikTok's "Please wait..." bot check, which every page may get first."""

    def user_detail(self, handle: str) -> dict[str, Any] | None:
        """The page's `webapp.user-detail` block (None when the page carried none)."""
        url = f"https://www.tiktok.com/@{handle}"
        try:
            # Fetches the page, answers a bot check and fetches it again; a profile page has
            # no post item, so the (empty) item it returns is not ours to read.
            self._extract_web_data_and_status(url, handle)
        except ExtractorError as exc:
            raise _page_error(exc, url) from exc
        detail = (self._universal or {}).get(USER_DETAIL)
        return detail if isinstance(detail, dict) else None


class _PageReadingTikTokIE(_DataKeepingTikTokIE):
    """yt-dlp's TikTok extractor, keeping the page's raw item and reading its status codes."""

    def _extract_web_data_and_status(
        self, url: str, video_id: str, fatal: bool = True
    ) -> tuple[dict[str, Any], int]:
        try:
            video_data, status = super()._extract_web_data_and_status(url, video_id, fatal)
        except ExtractorError as exc:
            raise _page_error(exc, url) from exc
        detail = (self._universal or {}).get(VIDEO_DETAIL) or {}
        code, message = detail_status(detail)
        if code != 0 or not video_data:
            raise status_reason(code or 10204, message, f"the TikTok post {video_id}")
        if video_data.get("imagePost") and not (video_data.get("music") or {}).get("playUrl"):
            raise SourceError(
                SourceErrorCode.UNSUPPORTED_POST,
                f"unsupported: photo post {video_id} has no playable sound",
            )
        return video_data, status

    def _parse_aweme_video_web(
        self,
        aweme_detail: dict[str, Any],
        webpage_url: str,
        video_id: str,
        extract_flat: bool = False,
    ) -> dict[str, Any]:
        info: dict[str, Any] = super()._parse_aweme_video_web(
            aweme_detail, webpage_url, video_id, extract_flat
        )
        info["cratedig_item"] = aweme_detail
        return info


def video_page_url(canonical: str) -> str:
    """The URL yt-dlp reads: photo posts are served at the /video/ path too."""
    return canonical.replace("/photo/", "/video/", 1)


def resolve_short_link(ref: SourceRef, options: TikTokOptions) -> SourceRef:
    """Follow a vm./vt./tiktok.com/t/ short link (TikTok hosts only) to the post's URL."""

    def is_post(url: str) -> bool:
        try:
            resolved = parse_source_url(url, frozenset())
        except SourceError:
            return False
        return resolved.kind is SourceKind.TIKTOK and not resolved.is_short_link

    with TikTokClient(options) as client:
        target = client.redirect_target(ref.url, is_post)
    return parse_source_url(target, frozenset())


def fetch_post(
    url: str, workdir: Path, options: TikTokOptions, *, download: bool = True
) -> TikTokPost:
    """Read the post's page (yt-dlp) and download its media; an expired CDN link is retried
    once with a freshly read page, since the page hands out new signed links. Every request
    for the post shares one clock: `options.media_seconds`, and `options.media_pace`."""
    limits = TransferLimits(MAX_MEDIA_BYTES, options.media_seconds, options.media_pace)
    deadline = limits.deadline()  # a slow drip must not hold a worker, however it is chunked
    try:
        return _fetch_post_once(url, workdir, options, download, deadline)
    except SourceError as exc:
        if exc.code is not SourceErrorCode.MEDIA_EXPIRED:
            raise
    return _fetch_post_once(url, workdir, options, download, deadline)


def fetch_profile(username: str, options: TikTokOptions) -> tuple[dict[str, Any], dict[str, Any]]:
    """The creator's user block and counts from their profile page (through yt-dlp's page
    reading, so TikTok's bot check is answered as for a post)."""
    handle = username.lstrip("@")
    options.pace()
    limits = TransferLimits(PAGE_LIMIT, TRANSFER_SECONDS)
    with (
        tempfile.TemporaryDirectory(prefix="cratedig-profile-") as workdir,
        checked_youtube_dl(_params(Path(workdir), options), options, limits) as ydl,
        _reasons(page=True),
    ):
        detail = _ProfileReadingIE(ydl).user_detail(handle)
    return user_detail(detail, handle)


def download_image(url: str, options: TikTokOptions, max_bytes: int) -> bytes:
    """An image from TikTok's CDN (covers, avatars)."""
    with TikTokClient(options) as client:
        fetched = client.get(url, max_bytes=max_bytes)
    content_type = fetched.headers.get("content-type", "image/")
    if not content_type.startswith(("image/", "application/octet-stream", "binary/")):
        raise SourceError(
            SourceErrorCode.UNSUPPORTED_MEDIA, f"{url[:200]} is {content_type}, not an image"
        )
    return fetched.body


def _fetch_post_once(
    url: str, workdir: Path, options: TikTokOptions, download: bool, deadline: Deadline
) -> TikTokPost:
    _remove_source_files(workdir)
    options.pace()
    limits = TransferLimits(MAX_MEDIA_BYTES, options.media_seconds, options.media_pace)
    with checked_youtube_dl(_params(workdir, options), options, limits, deadline) as ydl:
        ydl.add_info_extractor(_PageReadingTikTokIE())
        with _reasons(page=True):
            raw = ydl.extract_info(
                video_page_url(url), download=False, process=False, ie_key="TikTok"
            )
        if not isinstance(raw, dict):
            raise SourceError(SourceErrorCode.NOT_FOUND, f"TikTok: nothing found at {url}")
        item = raw.pop("cratedig_item", None) or {}
        raw["formats"] = _safe_formats(raw.get("formats") or [], options)
        if not raw["formats"]:
            raise SourceError(
                SourceErrorCode.UNSUPPORTED_MEDIA, f"TikTok offers no playable media for {url}"
            )
        if not download:
            return TikTokPost(raw, item, None)
        try:
            with _reasons(page=False):
                info = ydl.process_ie_result(raw, download=True)
        except BaseException:
            _remove_source_files(workdir)  # a cut download leaves no partial file behind
            raise
    files = sorted(workdir.glob("source.*"))
    if not files:
        size = info.get("filesize") or info.get("filesize_approx") or 0
        if size > MAX_MEDIA_BYTES:  # yt-dlp skips an oversized file without an error
            raise SourceError(
                SourceErrorCode.TOO_LARGE, f"TikTok's media for {url} is {size} bytes"
            )
        raise SourceError(SourceErrorCode.NOT_FOUND, f"TikTok: no media file for {url}")
    return TikTokPost(info, item, files[0])


def _remove_source_files(workdir: Path) -> None:
    for leftover in workdir.glob("source.*"):
        leftover.unlink()


@contextmanager
def _reasons(*, page: bool) -> Iterator[None]:
    """yt-dlp's errors (and our refused requests inside them) as our reasons."""
    try:
        yield
    except DownloadError as exc:
        raise _download_error(exc, page=page) from exc
    except RefusedRequestError as exc:
        raise exc.reason from None


def _params(workdir: Path, options: TikTokOptions) -> dict[str, Any]:
    params: dict[str, Any] = {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "noplaylist": True,
        "format": VIDEO_FORMAT,
        "outtmpl": str(workdir / "source.%(ext)s"),
        "socket_timeout": options.timeout_seconds,
        "max_filesize": MAX_MEDIA_BYTES,
        # Our workflow retries with backoff and a recorded reason; yt-dlp must fail fast.
        "retries": 0,
        "extractor_retries": 0,
        "fragment_retries": 0,
        "cachedir": False,
        "logger": _YtDlpLog(),
    }
    if options.proxy:
        params["proxy"] = options.proxy
    if os.environ.get("SSL_CERT_FILE"):
        # yt-dlp trusts only certifi's roots unless told not to; an operator (or a test) that
        # names a CA bundle, say for a TLS-inspecting proxy, means it for every client.
        params["compat_opts"] = {"no-certifi"}
    if options.cookies_file:
        # yt-dlp writes its cookie jar back on exit: give it a private copy, so concurrent
        # fetches never rewrite the operator's file.
        private = workdir / "cookies.txt"
        shutil.copyfile(options.cookies_file, private)
        params["cookiefile"] = str(private)
    return params


class _YtDlpLog:
    """yt-dlp's messages go to our log (its errors come back to us as exceptions anyway)."""

    def debug(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def info(self, message: str) -> None:
        log.debug("yt-dlp: %s", message)

    def warning(self, message: str) -> None:
        log.info("yt-dlp: %s", message)

    def error(self, message: str) -> None:
        log.info("yt-dlp: %s", message)


def _safe_formats(formats: list[dict[str, Any]], options: TikTokOptions) -> list[dict[str, Any]]:
    """Only plain HTTP(S) media on TikTok's own hosts (the page names them; we still check),
    never bytevc2: a stream protocol would hand the URL to a downloader outside our checks."""
    safe = []
    for fmt in formats:
        if "bytevc2" in str(fmt.get("vcodec") or "") or not fmt.get("url"):
            continue
        if (fmt.get("protocol") or determine_protocol(fmt)) not in ("http", "https"):
            continue
        try:
            check_tiktok_url(str(fmt["url"]), options)
        except SourceError:
            continue
        safe.append(fmt)
    return safe


def _page_error(exc: ExtractorError, url: str) -> SourceError:
    """The reason a page could not be read, from the HTTP error under yt-dlp's message."""
    cause = exc.cause
    if isinstance(cause, RefusedRequestError):
        return cause.reason
    if isinstance(cause, HTTPError):
        return status_error(cause.status, url, "page")
    if isinstance(cause, TransportError):
        return SourceError(SourceErrorCode.NETWORK, f"network error reading {url}: {cause}")
    message = _one_line(str(exc))
    if _asks_for_login(message):
        # yt-dlp's advice on passing cookies is for its own command line: name ours instead.
        said = message.split(" Use --cookies", 1)[0]
        return SourceError(
            SourceErrorCode.LOGIN_REQUIRED,
            f"TikTok: {said} (a login is given with CRATEDIG_TIKTOK_COOKIES_FILE)",
        )
    return SourceError(SourceErrorCode.RATE_LIMITED, f"TikTok served no page data: {message}")


def _download_error(exc: DownloadError, *, page: bool) -> SourceError:
    """Unwrap yt-dlp's DownloadError into our reason."""
    original = exc.exc_info[1] if exc.exc_info else None
    if isinstance(original, ExtractorError) and original.cause is not None:
        original = original.cause
    if isinstance(original, RefusedRequestError):
        return original.reason
    if isinstance(original, SourceError):
        return original
    message = _one_line(str(exc))
    if isinstance(original, HTTPError):
        return status_error(original.status, original.response.url, "page" if page else "cdn")
    if match := _HTTP_STATUS.search(message):
        return status_error(int(match[1]), "the post's media", "page" if page else "cdn")
    if "max_filesize" in message or "larger than max-filesize" in message:
        return SourceError(SourceErrorCode.TOO_LARGE, f"TikTok: {message}")
    if _asks_for_login(message):
        return SourceError(SourceErrorCode.LOGIN_REQUIRED, f"TikTok: {message}")
    return SourceError(SourceErrorCode.NETWORK, f"TikTok: {message}")


def _asks_for_login(message: str) -> bool:
    """yt-dlp says "login" or, for an age-restricted post, "Log in for access"."""
    lowered = message.lower()
    return any(word in lowered for word in LOGIN_WORDS)


def _one_line(message: str) -> str:
    return " ".join(message.replace("ERROR:", "").split())[:300]


__all__ = [
    "TikTokOptions",
    "TikTokPost",
    "download_image",
    "fetch_post",
    "fetch_profile",
    "resolve_short_link",
    "video_page_url",
]
