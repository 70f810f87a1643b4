"""The httpx transport of the checked client (`http.py`): one request per call, no redirect
followed, the body streamed as it arrives, httpx's errors mapped to ours."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

import httpx

from cratedig.sources.errors import SourceError, SourceErrorCode, TimedOutError, UnreachableError
from cratedig.sources.http import ClosedOnExit


def transport_error(url: str, error: Exception) -> SourceError:
    """httpx's failure as ours: a timeout, an invalid URL, or a failed connection."""
    host = urlsplit(url).hostname or url[:100]
    if isinstance(error, httpx.TimeoutException):
        return TimedOutError(f"timed out fetching {url[:200]}")
    if isinstance(error, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return SourceError(SourceErrorCode.INVALID_URL, f"not an http(s) URL: {url[:200]}")
    detail = " ".join(str(error).split())[:200] or type(error).__name__
    return UnreachableError(f"network error talking to {host}: {detail}")


class PlainAnswer:
    """An httpx response as an `Answer`."""

    def __init__(self, response: httpx.Response, url: str) -> None:
        self._response = response
        self.url = url
        self.status = response.status_code
        self.headers: Mapping[str, str] = {k.lower(): v for k, v in response.headers.items()}
        self._stream = response.extensions.get("network_stream")

    @property
    def peer(self) -> str | None:
        """The address connected to."""
        found = self._stream.get_extra_info("server_addr") if self._stream is not None else None
        return str(found[0]) if isinstance(found, tuple) and found else None

    def chunks(self) -> Iterator[bytes]:
        """The decoded body as it arrives (no re-chunking: every read is seen)."""
        try:
            yield from self._response.iter_bytes()
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise transport_error(self.url, exc) from exc

    def abort(self) -> None:
        """Shut the socket down under a blocked read, which then returns at once."""
        sock = self._stream.get_extra_info("socket") if self._stream is not None else None
        if isinstance(sock, socket.socket):
            # The plain socket's shutdown, also under TLS: the read fails, and the TLS
            # object is left for the reading thread to close. Closed already: nothing to do.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def close(self) -> None:
        """Release the connection."""
        self._response.close()


class PlainClient(ClosedOnExit):
    """A pool of httpx connections that sends one request at a time per thread; close it."""

    def __init__(
        self, timeout: float, *, connect_timeout: float | None = None, pool_size: int = 10
    ) -> None:
        limits = httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
        timeouts = httpx.Timeout(timeout, connect=connect_timeout or timeout)
        self._client = httpx.Client(timeout=timeouts, limits=limits, follow_redirects=False)

    def close(self) -> None:
        """Release the pool."""
        self._client.close()

    def send(self, method: str, url: str, headers: dict[str, str]) -> PlainAnswer:
        """One request, no redirect followed, the body left unread."""
        try:
            request = self._client.build_request(method, url, headers=headers)
            return PlainAnswer(self._client.send(request, stream=True), url)
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise transport_error(url, exc) from exc
