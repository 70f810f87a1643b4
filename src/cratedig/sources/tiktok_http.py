"""Our own requests to TikTok (short links, profile pages, images): a browser's TLS
fingerprint, the operator's proxy and cookies, bounded, and checked hop by hop."""

from __future__ import annotations

import http.cookiejar
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from curl_cffi import requests as curl_requests

from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.urls import (
    TIKTOK_HOSTS,
    check_connected_address,
    check_public_address,
    host_is_allowed,
)

# Where TikTok serves pages, video, audio and images (a host or any subdomain of one).
TIKTOK_MEDIA_HOSTS = frozenset(
    {
        "tiktok.com",
        "tiktokv.com",
        "tiktokv.us",
        "tiktokv.eu",
        "tiktokcdn.com",
        "tiktokcdn-us.com",
        "tiktokcdn-eu.com",
        "ibyteimg.com",
        "ibytedtos.com",
        "byteoversea.com",
        "muscdn.com",
    }
)
MAX_REDIRECTS = 5
# Headers that carry credentials: never forwarded to another host on a redirect.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
PAGE_LIMIT = 8 * 1024 * 1024  # TikTok's video pages are ~300 KB; anything huge is not one
IMAGE_LIMIT = 20 * 1024 * 1024
IMPERSONATE = "chrome"
TRANSFER_SECONDS = 120.0  # a whole body (page or image): a slow drip must not hold a worker


def no_pacing() -> None:
    """The default pace: none (the pipeline passes a pace shared by every worker)."""


@dataclass(frozen=True)
class TikTokOptions:
    """How we talk to TikTok: proxy, cookies, timeout, extra allowed hosts and the pace."""

    proxy: str | None = None
    cookies_file: str | None = None
    timeout_seconds: float = 20.0
    allowed_hosts: frozenset[str] = frozenset()
    # Called before each request for a TikTok web page, so all workers share one pace.
    pace: Callable[[], None] = field(default=no_pacing, compare=False)


@dataclass(frozen=True)
class TransferLimits:
    """Bounds on one response body, whatever its headers claim."""

    max_bytes: int
    max_seconds: float


@dataclass(frozen=True)
class Fetched:
    """One answered request: where it ended, its status, headers and body."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (TikTok's pages are)."""
        return self.body.decode("utf-8", errors="replace")


def check_tiktok_url(url: str, options: TikTokOptions) -> None:
    """Refuse a URL outside TikTok's hosts, or (without a proxy) one resolving privately."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    allowed = TIKTOK_MEDIA_HOSTS | TIKTOK_HOSTS | options.allowed_hosts
    if parts.scheme not in ("http", "https") or not host_is_allowed(host, allowed):
        raise SourceError(SourceErrorCode.HOST_NOT_ALLOWED, f"refused to fetch {url[:200]}")
    # Through a proxy the proxy resolves names; the operator chose it and answers for it.
    if options.proxy is None:
        check_public_address(host, options.allowed_hosts)


def status_error(status: int, url: str, *, page: bool) -> SourceError:
    """The reason behind an HTTP error status from TikTok (a page, or a CDN object)."""
    where = "TikTok" if page else "TikTok's CDN"
    message = f"{where} answered HTTP {status} for {url[:200]}"
    if status == 429:
        return SourceError(SourceErrorCode.RATE_LIMITED, message + " (too many requests)")
    if status == 451:
        return SourceError(SourceErrorCode.REGION_BLOCKED, message + " (blocked in this region)")
    if status >= 500:
        return SourceError(SourceErrorCode.NETWORK, message)
    if not page and status in (403, 410):
        return SourceError(SourceErrorCode.MEDIA_EXPIRED, message + " (the CDN link expired)")
    if page and status == 403:
        return SourceError(SourceErrorCode.IP_BLOCKED, message + " (access denied to this IP)")
    return SourceError(SourceErrorCode.NOT_FOUND, message)


class TikTokClient:
    """A browser-like HTTP session for TikTok; close it (or use `with`)."""

    def __init__(self, options: TikTokOptions) -> None:
        self.options = options
        self._session = CheckedSession(
            options,
            impersonate=IMPERSONATE,
            proxy=options.proxy,
            timeout=options.timeout_seconds,
            cookies=_load_cookies(options.cookies_file),
        )

    def __enter__(self) -> TikTokClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self._session.close()

    def get(self, url: str, *, max_bytes: int = PAGE_LIMIT, page: bool = True) -> Fetched:
        """GET `url`, following redirects within TikTok; an error status raises its reason."""
        if page:
            self.options.pace()
        fetched = self._request("GET", url, max_bytes)
        if fetched.status >= 400:
            raise status_error(fetched.status, fetched.url, page=page)
        return fetched

    def redirect_target(self, url: str, accept: Callable[[str], bool]) -> str:
        """Follow redirects from `url` (HEAD) until a URL `accept`s; raise if none does."""
        self.options.pace()
        current = url
        for _ in range(MAX_REDIRECTS):
            fetched = self._request("HEAD", current, 0, follow=False)
            location = fetched.headers.get("location")
            if not (300 <= fetched.status < 400 and location):
                if fetched.status >= 400:
                    raise status_error(fetched.status, current, page=True)
                break
            current = urljoin(current, location)
            if accept(current):
                return current
        raise SourceError(SourceErrorCode.NOT_FOUND, f"the short link {url} leads to no post")

    def _request(
        self, method: Literal["GET", "HEAD"], url: str, max_bytes: int, *, follow: bool = True
    ) -> Fetched:
        send = self._session.request if follow else self._session.hop
        try:
            response = send(method, url)
        except curl_requests.RequestsError as exc:
            raise SourceError(
                SourceErrorCode.NETWORK, f"network error talking to {_host(url)}: {_short(exc)}"
            ) from exc
        try:
            body = _read_bounded(response, max_bytes, url) if method != "HEAD" else b""
            headers = {name.lower(): value for name, value in response.headers.items() if value}
            return Fetched(str(response.url or url), response.status_code, headers, body)
        except curl_requests.RequestsError as exc:
            raise SourceError(
                SourceErrorCode.NETWORK, f"network error reading from {_host(url)}: {_short(exc)}"
            ) from exc
        finally:
            response.close()  # type: ignore[no-untyped-call]


class CheckedSession(curl_requests.Session):  # type: ignore[type-arg]
    """A curl_cffi session on which curl follows no redirect: `request` follows them itself,
    each hop's URL checked before connecting and its peer after; with `limits`, the final
    response's body stops past them (a length header is not trusted, and may be missing)."""

    def __init__(
        self, options: TikTokOptions, limits: TransferLimits | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._options = options
        self._limits = limits

    def request(self, method: str, url: str, **kwargs: Any) -> curl_requests.Response:  # type: ignore[override]
        """`method` `url`, following redirects (TikTok's hosts only), each hop checked."""
        kwargs.pop("allow_redirects", None)
        kwargs.pop("max_redirects", None)
        kwargs.pop("stream", None)  # always streamed: `hop` asks for it
        if self._options.proxy:
            # A caller (yt-dlp) may set the proxy on the curl handle, which curl_cffi resets
            # after each request: name it on every hop.
            kwargs["proxy"] = self._options.proxy
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            response = self.hop(method, current, **kwargs)
            location = response.headers.get("location")
            if not (300 <= response.status_code < 400 and location):
                return response if self._limits is None else _bounded(response, self._limits)
            response.close()  # type: ignore[no-untyped-call]
            target = urljoin(current, location)
            method = _redirect_method(method, response.status_code, kwargs)
            if urlsplit(target).hostname != urlsplit(current).hostname:
                kwargs["headers"] = _without_credentials(kwargs.get("headers"))
            current = target
        raise SourceError(SourceErrorCode.NETWORK, f"more than {MAX_REDIRECTS} redirects: {url}")

    def hop(self, method: str, url: str, **kwargs: Any) -> curl_requests.Response:
        """One request, no redirect followed: the URL is checked before connecting, the
        connected peer after; the body is left unread."""
        check_tiktok_url(url, self._options)
        send: Callable[..., curl_requests.Response] = super().request
        response = send(method, url, allow_redirects=False, stream=True, **kwargs)
        try:
            if self._options.proxy is None:  # through a proxy, the peer is the proxy
                peer = getattr(response, "primary_ip", "") or None
                check_connected_address(_host(url).lower(), peer, self._options.allowed_hosts)
        except BaseException:
            response.close()  # type: ignore[no-untyped-call]
            raise
        return response


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


def _bounded(response: curl_requests.Response, limits: TransferLimits) -> curl_requests.Response:
    """Make `response`'s body stop with a reason past `limits`, for a reader that streams it."""
    stream = response.iter_content
    url = str(response.url)

    def iter_content(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        return bounded_chunks(stream(*args, **kwargs), limits, url)  # type: ignore[no-untyped-call]

    response.iter_content = iter_content  # type: ignore[method-assign]
    return response


def _read_bounded(response: curl_requests.Response, max_bytes: int, url: str) -> bytes:
    if response.status_code >= 300:
        return b""  # error and redirect bodies are not worth reading
    limits = TransferLimits(max_bytes, TRANSFER_SECONDS)
    return b"".join(bounded_chunks(response.iter_content(), limits, url))  # type: ignore[no-untyped-call]


def bounded_chunks(chunks: Iterator[bytes], limits: TransferLimits, url: str) -> Iterator[bytes]:
    """Pass `chunks` on, stopping with a reason past the size or the time limit."""
    size = 0
    deadline = time.monotonic() + limits.max_seconds
    for chunk in chunks:
        size += len(chunk)
        if size > limits.max_bytes:
            raise SourceError(
                SourceErrorCode.TOO_LARGE, f"{url[:200]} is larger than {limits.max_bytes} bytes"
            )
        if time.monotonic() > deadline:
            raise SourceError(
                SourceErrorCode.NETWORK, f"{url[:200]} took over {limits.max_seconds:.0f} s"
            )
        yield chunk


def _load_cookies(path: str | None) -> http.cookiejar.CookieJar | None:
    if not path:
        return None
    jar = http.cookiejar.MozillaCookieJar(path)
    try:
        jar.load(ignore_discard=True, ignore_expires=True)
    except (OSError, http.cookiejar.LoadError) as exc:
        raise SourceError(
            SourceErrorCode.LOGIN_REQUIRED, f"cannot read the TikTok cookies file {path}: {exc}"
        ) from exc
    return jar


def _host(url: str) -> str:
    return urlsplit(url).hostname or url[:100]


def _short(error: BaseException) -> str:
    return " ".join(str(error).split())[:200]
