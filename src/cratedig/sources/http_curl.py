"""The curl_cffi transport of the checked client (`http.py`), for requests that need a
browser's TLS fingerprint (TikTok): our TikTok client and yt-dlp's handler share it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from curl_cffi import requests as curl_requests
from curl_cffi.const import CurlOpt

from cratedig.sources.errors import DeadlineError, SourceError, TimedOutError, UnreachableError
from cratedig.sources.http import (
    Deadline,
    HopRules,
    Reached,
    TransferLimits,
    capped_chunks,
    walk,
)


def transport_error(url: str, error: curl_requests.RequestsError) -> SourceError:
    """curl's failure as ours: a timeout or a failed connection."""
    if isinstance(error, curl_requests.exceptions.Timeout):
        return TimedOutError(f"timed out fetching {url[:200]}")
    host = urlsplit(url).hostname or url[:100]
    detail = " ".join(str(error).split())[:200]
    return UnreachableError(f"network error talking to {host}: {detail}")


class CurlAnswer:
    """A streamed curl_cffi response as an `Answer`."""

    def __init__(self, response: curl_requests.Response, url: str) -> None:
        self.response = response
        self.url = url
        self.status = response.status_code
        self.headers = {name.lower(): value for name, value in response.headers.items() if value}
        self.peer = getattr(response, "primary_ip", "") or None
        self._iter_content = response.iter_content  # before anyone wraps it

    def chunks(self) -> Iterator[bytes]:
        """The body as curl hands it over."""
        try:
            yield from self._iter_content()  # type: ignore[no-untyped-call]
        except curl_requests.RequestsError as exc:
            raise transport_error(self.url, exc) from exc

    def abort(self) -> None:
        """Make curl give up at its next write (a dripping body ends within a byte); a silent
        one ends by curl's own clocks: the deadline (set on each hop) or the session's read
        timeout (curl_cffi's low-speed rule on streams)."""
        quit_now = getattr(self.response, "quit_now", None)
        if quit_now is not None:
            quit_now.set()

    def close(self) -> None:
        """Release the connection."""
        self.response.close()  # type: ignore[no-untyped-call]


class CheckedSession(curl_requests.Session):  # type: ignore[type-arg]
    """A curl_cffi session on which curl follows no redirect: the checked client follows
    them, each hop's URL checked before connecting and its peer after. `request` (yt-dlp's
    way in) caps the body by `limits` when given, every request within `deadline` when one
    is given (one clock for all of yt-dlp's requests for a post); `open` is ours."""

    def __init__(
        self,
        rules: HopRules,
        limits: TransferLimits | None = None,
        *,
        deadline: Deadline | None = None,
        proxy: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(proxy=proxy, **kwargs)
        self._rules = rules
        self._limits = limits
        self._deadline = deadline
        self._proxy = proxy

    def open(
        self, method: str, url: str, deadline: Deadline | None = None, **kwargs: Any
    ) -> CurlAnswer:
        """The answer at the end of `url`'s redirects; errors are our SourceErrors."""
        answer = self.walk(method, url, deadline=deadline, **kwargs).answer
        assert isinstance(answer, CurlAnswer)  # no `stop`: the walk ends at an answer
        return answer

    def walk(
        self,
        method: str,
        url: str,
        *,
        deadline: Deadline | None = None,
        stop: Callable[[str], bool] | None = None,
        **kwargs: Any,
    ) -> Reached:
        """`http.walk` on this session: redirects followed hop by hop until an answer, or a
        target that `stop` accepts."""
        for ignored in ("allow_redirects", "max_redirects", "stream"):
            kwargs.pop(ignored, None)  # curl never follows, and every body is streamed
        if self._proxy:
            # A caller (yt-dlp) may set the proxy on the curl handle, which curl_cffi resets
            # after each request: name it on every hop.
            kwargs["proxy"] = self._proxy
        headers = dict(kwargs.pop("headers", None) or {})
        first_method = method

        def send(hop_method: str, hop_url: str, hop_headers: dict[str, str]) -> CurlAnswer:
            if hop_method != first_method:
                kwargs.pop("data", None)  # a redirect that changes the method drops the body
            return self._send_one(hop_method, hop_url, hop_headers, deadline, kwargs)

        return walk(send, method, url, self._rules, headers=headers, deadline=deadline, stop=stop)

    def request(self, method: str, url: str, **kwargs: Any) -> curl_requests.Response:  # type: ignore[override]
        """`method` `url`, redirects followed hop by hop; curl's own errors stay curl's,
        since yt-dlp's handler maps them (certificate, proxy, transport) itself."""
        limits = self._limits
        deadline = self._deadline or (limits.deadline() if limits is not None else None)
        with _curl_errors():
            answer = self.open(method, url, deadline, **kwargs)
        if limits is None or deadline is None:
            return answer.response

        def iter_content(*_args: Any, **_kwargs: Any) -> Iterator[bytes]:
            with _curl_errors():
                yield from capped_chunks(answer, limits, deadline)

        answer.response.iter_content = iter_content  # type: ignore[method-assign]
        return answer.response

    def _send_one(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        deadline: Deadline | None,
        kwargs: dict[str, Any],
    ) -> CurlAnswer:
        if deadline is not None:
            # Copied into the request's own handle: curl ends the transfer at the deadline,
            # whatever the chunking and even while a read waits.
            self.curl.setopt(CurlOpt.TIMEOUT_MS, max(1, int(deadline.remaining() * 1000)))
        send: Callable[..., curl_requests.Response] = super().request
        try:
            response = send(
                method, url, headers=headers, allow_redirects=False, stream=True, **kwargs
            )
        except curl_requests.RequestsError as exc:
            raise transport_error(url, exc) from exc
        return CurlAnswer(response, url)


@contextmanager
def _curl_errors() -> Iterator[None]:
    """Hand curl's own error back (not our mapping of it) to a caller that maps it."""
    try:
        yield
    except (UnreachableError, TimedOutError) as exc:
        cause = exc.__cause__
        if isinstance(exc, DeadlineError) or not isinstance(cause, curl_requests.RequestsError):
            raise
        raise cause from None
