"""The one checked HTTP client: every hop's URL and connected address checked, redirects
followed here (never inside an HTTP library), bodies capped in size and wall-clock time.

Transports plug in as a `Send` (one request, no redirect followed, body left unread):
httpx for plain downloads and link checks (`http_plain.py`), curl_cffi where TikTok needs a
browser's fingerprint (`http_curl.py`). The checks, the redirect loop and the caps are
written once, here; what each failure means (its SourceError) is in `errors.py`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Self
from urllib.parse import urljoin, urlsplit

from cratedig.sources.errors import (
    SourceError,
    SourceErrorCode,
    TimedOutError,
    TooManyRedirectsError,
    UnreachableError,
)
from cratedig.sources.urls import check_connected_address, check_public_address, host_is_allowed
from cratedig.sources.watchdog import Deadline as Deadline
from cratedig.sources.watchdog import Pace as Pace
from cratedig.sources.watchdog import Watchdog

MAX_REDIRECTS = 5
# Headers that carry credentials: never forwarded to another host on a redirect.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class Answer(Protocol):
    """One response of one hop, its body not read yet."""

    @property
    def status(self) -> int:
        """The HTTP status."""

    @property
    def headers(self) -> Mapping[str, str]:
        """The headers, names in lower case."""

    @property
    def url(self) -> str:
        """The URL that answered."""

    @property
    def peer(self) -> str | None:
        """The address connected to (None when unknown, or when a proxy connected)."""

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives; transport trouble raises UnreachableError or TimedOutError."""

    def abort(self) -> None:
        """From another thread: make a blocked read of the body return now."""

    def close(self) -> None:
        """Release the connection."""


# method, url, headers → the answer of that one request (no redirect followed).
Send = Callable[[str, str, dict[str, str]], Answer]


class AddressCache:
    """Each host's address verdict, kept for a run that checks many URLs on few hosts."""

    def __init__(self) -> None:
        self._verdicts: dict[str, SourceError | None] = {}
        self._lock = threading.Lock()

    def check(self, host: str, trusted: frozenset[str]) -> None:
        """`check_public_address`, asked once per host."""
        with self._lock:
            known = host in self._verdicts
            verdict = self._verdicts.get(host)
        if not known:
            try:
                check_public_address(host, trusted)
            except SourceError as exc:
                verdict = exc
            with self._lock:
                self._verdicts[host] = verdict
        if verdict is not None:
            raise copy.copy(verdict)  # a fresh exception per raise: threads share the verdict


@dataclass(frozen=True)
class HopRules:
    """Where a hop may go: the hosts (any host when None), and public addresses only, except
    IP addresses listed in `trusted` (tests list 127.0.0.1) or through the operator's proxy
    (the proxy resolves names, so the address seen is the proxy's)."""

    hosts: frozenset[str] | None = None
    trusted: frozenset[str] = frozenset()
    through_proxy: bool = False
    addresses: AddressCache | None = field(default=None, compare=False)

    def check_url(self, url: str) -> None:
        """Refuse a URL before connecting: not http(s), a host off the list, a private address."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            host = ""
        if not host or parts.scheme not in ("http", "https"):
            raise SourceError(SourceErrorCode.INVALID_URL, f"not an http(s) URL: {url[:200]}")
        if self.hosts is not None and not host_is_allowed(host, self.hosts):
            raise SourceError(SourceErrorCode.HOST_NOT_ALLOWED, f"refused to fetch {url[:200]}")
        if self.through_proxy:
            return
        if self.addresses is not None:
            self.addresses.check(host, self.trusted)
        else:
            check_public_address(host, self.trusted)

    def check_peer(self, url: str, peer: str | None) -> None:
        """Refuse a connection made to a private address (DNS rebinding after `check_url`)."""
        if not self.through_proxy:
            host = (urlsplit(url).hostname or "").lower()
            check_connected_address(host, peer, self.trusted)


@dataclass(frozen=True)
class TransferLimits:
    """Bounds on one transfer, whatever its headers claim. With a `pace` (media downloads),
    passing the deadline or falling below the pace is `too_slow`, not retried."""

    max_bytes: int
    max_seconds: float  # wall clock, from the first hop to the body's last byte
    pace: Pace | None = None

    def deadline(self) -> Deadline:
        """The deadline of a transfer bounded by these limits, starting now."""
        return Deadline(self.max_seconds, pace=self.pace)


@dataclass(frozen=True)
class Reached:
    """Where a walk ended: the URL and its answer (None when `stop` took the URL unasked)."""

    url: str
    answer: Answer | None


def walk(
    send: Send,
    method: str,
    url: str,
    rules: HopRules,
    *,
    headers: Mapping[str, str] | None = None,
    deadline: Deadline | None = None,
    stop: Callable[[str], bool] | None = None,
) -> Reached:
    """Request `url`, following redirects one checked hop at a time, until an answer that is
    not a redirect, or a redirect target that `stop` accepts (then not requested)."""
    current, sent = url, dict(headers or {})
    for _ in range(MAX_REDIRECTS + 1):
        rules.check_url(current)
        if deadline is not None and deadline.passed():
            raise deadline.error(url)
        answer = send(method, current, sent)
        try:
            rules.check_peer(current, answer.peer)
        except BaseException:
            answer.close()
            raise
        location = answer.headers.get("location")
        if not (300 <= answer.status < 400 and location):
            return Reached(current, answer)
        answer.close()
        target = urljoin(current, location)
        method = redirect_method(method, answer.status)
        if urlsplit(target).hostname != urlsplit(current).hostname:
            sent = {k: v for k, v in sent.items() if k.lower() not in CREDENTIAL_HEADERS}
        current = target
        if stop is not None and stop(current):
            return Reached(current, None)
    raise TooManyRedirectsError(f"more than {MAX_REDIRECTS} redirects from {url[:200]}")


def follow(
    send: Send,
    method: str,
    url: str,
    rules: HopRules,
    *,
    headers: Mapping[str, str] | None = None,
    deadline: Deadline | None = None,
) -> Answer:
    """The answer at the end of `url`'s redirects, every hop checked."""
    reached = walk(send, method, url, rules, headers=headers, deadline=deadline)
    assert reached.answer is not None  # no `stop`: the walk ends at an answer
    return reached.answer


def redirect_method(method: str, status: int) -> str:
    """The method after a redirect, as browsers do it (the body goes when it changes)."""
    changed = (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST")
    return "GET" if changed else method


def check_declared_size(answer: Answer, limits: TransferLimits) -> None:
    """Refuse at once a body whose Content-Length is already past the limit."""
    declared = answer.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise SourceError(
            SourceErrorCode.TOO_LARGE,
            f"{answer.url[:200]} is {declared} bytes; the limit is {limits.max_bytes}",
        )


def capped_chunks(answer: Answer, limits: TransferLimits, deadline: Deadline) -> Iterator[bytes]:
    """The body, stopped with a reason past the size limit, the deadline or below the pace, or
    when cancelled: checked on every chunk, and by a watchdog that aborts a blocked read."""
    if deadline.passed():
        raise deadline.error(answer.url)
    watchdog = Watchdog(answer.url, answer.abort, deadline)
    watchdog.start()
    try:
        for chunk in answer.chunks():
            watchdog.received += len(chunk)
            if watchdog.received > limits.max_bytes:
                raise SourceError(
                    SourceErrorCode.TOO_LARGE,
                    f"{answer.url[:200]} is larger than the limit of {limits.max_bytes} bytes",
                )
            watchdog.raise_if_stopped()
            yield chunk
    except (UnreachableError, TimedOutError) as exc:
        watchdog.raise_if_stopped(exc)  # the abort cut the read
        raise
    finally:
        watchdog.stop()
    watchdog.raise_if_stopped()  # an aborted body may look like one that ended


def read_body(answer: Answer, limits: TransferLimits, deadline: Deadline) -> bytes:
    """The whole body in memory, within the limits."""
    check_declared_size(answer, limits)
    return b"".join(capped_chunks(answer, limits, deadline))


def save_body(answer: Answer, limits: TransferLimits, deadline: Deadline, target: Path) -> int:
    """Stream the body to `target` within the limits; its size. A cut transfer leaves no file."""
    check_declared_size(answer, limits)
    size = 0
    try:
        with target.open("wb") as out:
            for chunk in capped_chunks(answer, limits, deadline):
                out.write(chunk)
                size += len(chunk)
    except BaseException:
        target.unlink(missing_ok=True)  # never leave a partial file that looks like media
        raise
    return size


class ClosedOnExit:
    """A client that `with` closes: its pool is released however the block ends."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release what the client holds."""
        raise NotImplementedError
