"""yt-dlp's own requests (a post's page, its media, the API calls and every redirect between)
made through our checks: TikTok's hosts only, public addresses only, bounded in size and time.

yt-dlp's stock handlers follow redirects inside the HTTP library, out of our sight; the one
handler given to our YoutubeDL runs on our CheckedSession (`http_curl.py`), on which the one
checked client (`http.py`) follows them one checked hop at a time, as for our own requests.
"""

from __future__ import annotations

import functools
from typing import Any

import yt_dlp
from curl_cffi import requests as curl_requests
from yt_dlp.networking._curlcffi import CurlCFFIRH
from yt_dlp.networking.common import Request, Response
from yt_dlp.networking.exceptions import RequestError

from cratedig.sources.errors import SourceError
from cratedig.sources.http import Deadline, TransferLimits
from cratedig.sources.http_curl import CheckedSession
from cratedig.sources.tiktok_http import TikTokOptions, tiktok_rules


class RefusedRequestError(RequestError):  # type: ignore[misc]
    """A request our checks refused, in the error type yt-dlp's networking expects."""

    def __init__(self, reason: SourceError) -> None:
        super().__init__(str(reason))
        self.reason = reason


def checked_youtube_dl(
    params: dict[str, Any],
    options: TikTokOptions,
    limits: TransferLimits,
    deadline: Deadline | None = None,
) -> yt_dlp.YoutubeDL:
    """A YoutubeDL whose every request goes through our checked handler, and only that; all
    within `deadline` when given (else each request within `limits.max_seconds`)."""
    return _CheckedYoutubeDL(params, options, limits, deadline)


class _CheckedYoutubeDL(yt_dlp.YoutubeDL):  # type: ignore[misc]
    def __init__(
        self,
        params: dict[str, Any],
        options: TikTokOptions,
        limits: TransferLimits,
        deadline: Deadline | None,
    ) -> None:
        self._checked = functools.partial(
            CheckedCurlRH, tiktok=options, limits=limits, deadline=deadline
        )
        super().__init__(params)

    @functools.cached_property
    def _request_director(self) -> Any:
        return self.build_request_director([self._checked])


class CheckedCurlRH(CurlCFFIRH):  # type: ignore[misc]
    """yt-dlp's curl_cffi handler (browser impersonation, proxy, cookies, timeouts) on a
    session that checks every hop; a refusal reaches yt-dlp as a RequestError."""

    RH_NAME = "cratedig_checked"

    def __init__(
        self,
        *,
        tiktok: TikTokOptions,
        limits: TransferLimits,
        deadline: Deadline | None = None,
        **kwargs: Any,
    ) -> None:
        self._tiktok = tiktok
        self._limits = limits
        self._deadline = deadline
        super().__init__(**kwargs)

    def _create_instance(self, cookiejar: Any = None) -> curl_requests.Session[Any]:
        rules = tiktok_rules(self._tiktok)
        return CheckedSession(
            rules,
            self._limits,
            deadline=self._deadline,
            proxy=self._tiktok.proxy,
            cookies=cookiejar,
        )

    def send(self, request: Request) -> Response:
        """Send `request`; a refused hop raises RefusedRequestError carrying our reason."""
        try:
            return super().send(request)
        except SourceError as exc:
            raise RefusedRequestError(exc) from exc
