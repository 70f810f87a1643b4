"""yt-dlp's own requests (a post's page, its media, the API calls and every redirect between)
made through our checks: TikTok's hosts only, public addresses only, bounded in size and time.

yt-dlp's stock handlers follow redirects inside the HTTP library, out of our sight; the one
handler given to our YoutubeDL follows them itself, one checked hop at a time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import yt_dlp
from curl_cffi import requests as curl_requests
from yt_dlp.networking._curlcffi import CurlCFFIRH
from yt_dlp.networking.common import Request, Response
from yt_dlp.networking.exceptions import RequestError

from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.tiktok_http import (
    MAX_REDIRECTS,
    TikTokOptions,
    TransferLimits,
    bounded_chunks,
    open_checked,
)

# Headers that carry credentials: never forwarded to another host on a redirect.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class RefusedRequestError(RequestError):  # type: ignore[misc]
    """A request our checks refused, in the error type yt-dlp's networking expects."""

    def __init__(self, reason: SourceError) -> None:
        super().__init__(str(reason))
        self.reason = reason


def checked_youtube_dl(
    params: dict[str, Any], options: TikTokOptions, limits: TransferLimits
) -> yt_dlp.YoutubeDL:
    """A YoutubeDL whose every request goes through our checked handler, and only that."""
    return _CheckedYoutubeDL(params, options, limits)


class _CheckedYoutubeDL(yt_dlp.YoutubeDL):  # type: ignore[misc]
    def __init__(
        self, params: dict[str, Any], options: TikTokOptions, limits: TransferLimits
    ) -> None:
        self._checked = functools.partial(CheckedCurlRH, tiktok=options, limits=limits)
        super().__init__(params)

    @functools.cached_property
    def _request_director(self) -> Any:
        return self.build_request_director([self._checked])


class CheckedCurlRH(CurlCFFIRH):  # type: ignore[misc]
    """yt-dlp's curl_cffi handler (browser impersonation, proxy, cookies, timeouts) on a
    session that checks every hop; a refusal reaches yt-dlp as a RequestError."""

    RH_NAME = "cratedig_checked"

    def __init__(self, *, tiktok: TikTokOptions, limits: TransferLimits, **kwargs: Any) -> None:
        self._tiktok = tiktok
        self._limits = limits
        super().__init__(**kwargs)

    def _create_instance(self, cookiejar: Any = None) -> curl_requests.Session[Any]:
        return _CheckedSession(self._tiktok, self._limits, cookies=cookiejar)

    def send(self, request: Request) -> Response:
        """Send `request`; a refused hop raises RefusedRequestError carrying our reason."""
        try:
            return super().send(request)
        except SourceError as exc:
            raise RefusedRequestError(exc) from exc


class _CheckedSession(curl_requests.Session):  # type: ignore[type-arg]
    """A curl_cffi session that follows redirects itself, checking each hop."""

    def __init__(self, options: TikTokOptions, limits: TransferLimits, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._options = options
        self._limits = limits

    def request(self, method: str, url: str, **kwargs: Any) -> curl_requests.Response:  # type: ignore[override]
        """`method` `url`, each redirect hop checked; the final response's body is bounded."""
        kwargs.pop("allow_redirects", None)
        kwargs.pop("max_redirects", None)
        kwargs.pop("stream", None)  # always streamed: open_checked asks for it
        if self._options.proxy:
            # yt-dlp set the proxy on the curl handle, which curl_cffi resets after each
            # request: name it on every hop.
            kwargs["proxy"] = self._options.proxy
        send: Callable[..., curl_requests.Response] = super().request
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            response = open_checked(send, method, current, self._options, **kwargs)
            location = response.headers.get("location")
            if not (300 <= response.status_code < 400 and location):
                return _bounded(response, self._limits, current)
            response.close()  # type: ignore[no-untyped-call]
            target = urljoin(current, location)
            method = _redirect_method(method, response.status_code, kwargs)
            if urlsplit(target).hostname != urlsplit(current).hostname:
                kwargs["headers"] = _without_credentials(kwargs.get("headers"))
            current = target
        raise SourceError(SourceErrorCode.NETWORK, f"more than {MAX_REDIRECTS} redirects: {url}")


def _redirect_method(method: str, status: int, kwargs: dict[str, Any]) -> str:
    """The method after a redirect, as browsers do it (a body goes with a changed method)."""
    changed = (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST")
    if not changed:
        return method
    kwargs.pop("data", None)
    return "GET"


def _without_credentials(headers: Any) -> dict[str, str]:
    return {
        name: value
        for name, value in dict(headers or {}).items()
        if name.lower() not in _CREDENTIAL_HEADERS
    }


def _bounded(
    response: curl_requests.Response, limits: TransferLimits, url: str
) -> curl_requests.Response:
    """Make `response`'s body stop with a reason past the limits (yt-dlp trusts the length
    header, and a body without one could be endless)."""
    stream = response.iter_content

    def iter_content(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        return bounded_chunks(stream(*args, **kwargs), limits, url)  # type: ignore[no-untyped-call]

    response.iter_content = iter_content  # type: ignore[method-assign]
    return response
