"""The one checked HTTP client, on both transports, against loopback servers: redirect chains,
refused hops, the connected address, size and time caps, credentials on a host change."""

from __future__ import annotations

import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from curl_cffi.const import CurlOpt

from cratedig.sources.errors import (
    DeadlineError,
    SourceError,
    SourceErrorCode,
    TooManyRedirectsError,
    UnresolvedHostError,
)
from cratedig.sources.http import (
    MAX_REDIRECTS,
    HopRules,
    TransferLimits,
    follow,
    read_body,
    walk,
)
from cratedig.sources.http_curl import CheckedSession
from cratedig.sources.http_plain import PlainClient

LOOPBACK = frozenset({"127.0.0.1", "127.0.0.2"})
RULES = HopRules(trusted=LOOPBACK)
LIMITS = TransferLimits(max_bytes=1 << 20, max_seconds=10)


@dataclass
class Site:
    """A scripted loopback server: path → handler; every request's headers are kept."""

    base: str
    pages: dict[str, Callable[[BaseHTTPRequestHandler], None]]
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)


@contextmanager
def site(address: str = "127.0.0.1") -> Iterator[Site]:
    """Serve scripted pages on `address` at a free port until the block ends."""
    pages: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
    seen: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            page = pages.get(self.path)
            if page is None:
                answer(self, 404, b"not found")
            else:
                page(self)

        do_HEAD = do_GET  # noqa: N815 (http.server's naming)
        do_POST = do_GET  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer((address, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Site(f"http://{address}:{server.server_address[1]}", pages, seen)
    finally:
        server.shutdown()
        server.server_close()


def answer(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> None:
    """Write one whole response."""
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def redirect(to: str) -> Callable[[BaseHTTPRequestHandler], None]:
    """A page that answers 302 to `to`."""
    return lambda handler: answer(handler, 302, headers={"Location": to})


def body(data: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
    """A page that answers 200 with `data`."""
    return lambda handler: answer(handler, 200, data, {"Content-Type": "video/mp4"})


def silent_after_headers(handler: BaseHTTPRequestHandler) -> None:
    """Headers promising a body, a few bytes of it, then nothing for a long while."""
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.write(b"x" * 10)
    handler.wfile.flush()
    threading.Event().wait(8)


def endless(handler: BaseHTTPRequestHandler) -> None:
    """No length, bytes until the client hangs up."""
    handler.send_response(200)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True
    try:
        for _ in range(10_000):
            handler.wfile.write(b"x" * 4096)
    except OSError:
        pass


Fetch = Callable[..., bytes]


def plain_fetch(
    url: str,
    rules: HopRules = RULES,
    limits: TransferLimits = LIMITS,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> bytes:
    """The whole body through the httpx transport."""
    deadline = limits.deadline()
    with PlainClient(5.0) as client:
        reply = follow(client.send, method, url, rules, headers=headers, deadline=deadline)
        try:
            return read_body(reply, limits, deadline)
        finally:
            reply.close()


def curl_fetch(
    url: str,
    rules: HopRules = RULES,
    limits: TransferLimits = LIMITS,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    **session: Any,
) -> bytes:
    """The whole body through the curl_cffi transport (browser impersonation)."""
    deadline = limits.deadline()
    with CheckedSession(rules, impersonate="chrome", timeout=5.0, **session) as checked:
        reply = checked.open(method, url, deadline, headers=headers)
        try:
            return read_body(reply, limits, deadline)
        finally:
            reply.close()


@pytest.fixture(params=["httpx", "curl_cffi"])
def fetch(request: pytest.FixtureRequest) -> Fetch:
    """Each transport in turn, through the same hop loop, checks and caps."""
    return plain_fetch if request.param == "httpx" else curl_fetch


def failure_of(call: Callable[[], Any]) -> SourceError:
    """The SourceError `call` raises."""
    with pytest.raises(SourceError) as failure:
        call()
    return failure.value


class TestRedirects:
    def test_a_chain_of_max_redirects_is_followed(self, fetch: Fetch) -> None:
        with site() as web:
            for n in range(MAX_REDIRECTS):
                web.pages[f"/{n}"] = redirect(f"/{n + 1}")
            web.pages[f"/{MAX_REDIRECTS}"] = body(b"media")
            assert fetch(f"{web.base}/0") == b"media"
        assert len(web.seen) == MAX_REDIRECTS + 1

    def test_one_more_is_a_clear_redirect_error(self, fetch: Fetch) -> None:
        with site() as web:
            web.pages["/loop"] = redirect("/loop")
            error = failure_of(lambda: fetch(f"{web.base}/loop"))
        assert isinstance(error, TooManyRedirectsError)
        assert error.code is SourceErrorCode.TOO_MANY_REDIRECTS and not error.retryable
        assert f"more than {MAX_REDIRECTS} redirects" in str(error)
        assert len(web.seen) == MAX_REDIRECTS + 1

    def test_a_private_hop_is_refused_unrequested(self, fetch: Fetch) -> None:
        with site() as web, site("127.0.0.2") as inside:
            inside.pages["/secret"] = body(b"internal")
            web.pages["/hop"] = redirect(f"{inside.base}/secret")
            error = failure_of(
                lambda: fetch(f"{web.base}/hop", HopRules(trusted=LOOPBACK - {"127.0.0.2"}))
            )
        assert error.code is SourceErrorCode.HOST_NOT_ALLOWED and "127.0.0.2" in str(error)
        assert inside.seen == []

    def test_a_hop_off_the_host_list_is_refused_unrequested(self, fetch: Fetch) -> None:
        only_first = HopRules(hosts=frozenset({"127.0.0.1"}), trusted=LOOPBACK)
        with site() as web, site("127.0.0.2") as other:
            web.pages["/hop"] = redirect(f"{other.base}/x")
            error = failure_of(lambda: fetch(f"{web.base}/hop", only_first))
        assert error.code is SourceErrorCode.HOST_NOT_ALLOWED and other.seen == []

    def test_a_hop_to_another_scheme_is_an_invalid_url(self, fetch: Fetch) -> None:
        with site() as web:
            web.pages["/hop"] = redirect("file:///etc/passwd")
            error = failure_of(lambda: fetch(f"{web.base}/hop"))
        assert error.code is SourceErrorCode.INVALID_URL

    def test_credentials_are_dropped_when_the_host_changes(self, fetch: Fetch) -> None:
        secrets = {"Authorization": "Bearer t", "Cookie": "sid=s", "X-Kept": "yes"}
        with site() as web, site("127.0.0.2") as other:
            other.pages["/end"] = body(b"ok")
            web.pages["/same"] = redirect("/moved")
            web.pages["/moved"] = redirect(f"{other.base}/end")
            assert fetch(f"{web.base}/same", headers=secrets) == b"ok"
        first, moved = (headers for _, headers in web.seen)
        assert first["authorization"] == moved["authorization"] == "Bearer t"
        assert moved["cookie"] == "sid=s"  # the same host: still sent
        ((_, crossed),) = other.seen
        assert "authorization" not in crossed and "cookie" not in crossed
        assert crossed["x-kept"] == "yes"

    def test_a_walk_stops_at_an_accepted_target_without_requesting_it(self) -> None:
        with site() as web, PlainClient(5.0) as client:
            web.pages["/t/abc"] = redirect("/@u/video/1")
            reached = walk(client.send, "HEAD", f"{web.base}/t/abc", RULES, stop=lambda u: "@" in u)
        assert reached.answer is None and reached.url == f"{web.base}/@u/video/1"
        assert [path for path, _ in web.seen] == ["/t/abc"]


class _Rebinding:
    """Answers a public address for `name` the first `public` times, then loopback."""

    def __init__(self, name: str, public: int) -> None:
        self.name = name
        self.public = public
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if host != self.name:
            return self.real(host, port, *args, **kw)
        self.public -= 1
        address = "93.184.216.34" if self.public >= 0 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]


class TestConnectedAddress:
    def test_httpx_refuses_a_name_that_rebinds_to_loopback(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(socket, "getaddrinfo", _Rebinding("rebind.example", public=1))
        with site() as web:
            web.pages["/x"] = body(b"internal")
            url = f"http://rebind.example:{web.base.rsplit(':', 1)[1]}/x"
            error = failure_of(lambda: plain_fetch(url))
        assert error.code is SourceErrorCode.HOST_NOT_ALLOWED and "127.0.0.1" in str(error)

    def test_curl_refuses_a_name_that_connects_to_loopback(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(socket, "getaddrinfo", _Rebinding("rebind.example", public=99))
        with site() as web:
            web.pages["/x"] = body(b"internal")
            port = web.base.rsplit(":", 1)[1]
            url = f"http://rebind.example:{port}/x"
            # curl resolves names itself: make its answer differ from the one we checked.
            pinned = {CurlOpt.RESOLVE: [f"rebind.example:{port}:127.0.0.1"]}
            error = failure_of(lambda: curl_fetch(url, curl_options=pinned))
        assert error.code is SourceErrorCode.HOST_NOT_ALLOWED and "127.0.0.1" in str(error)

    def test_through_a_proxy_addresses_are_the_proxys_business(self) -> None:
        rules = HopRules(through_proxy=True)
        rules.check_url("http://10.0.0.1/x")  # no refusal: the proxy resolves names
        rules.check_peer("http://10.0.0.1/x", "10.0.0.1")


class TestCaps:
    def test_the_size_is_counted_while_streaming(self, fetch: Fetch) -> None:
        with site() as web:
            web.pages["/big"] = endless
            error = failure_of(lambda: fetch(f"{web.base}/big", limits=TransferLimits(100_000, 10)))
        assert error.code is SourceErrorCode.TOO_LARGE

    def test_a_declared_size_past_the_limit_is_refused_at_once(self, fetch: Fetch) -> None:
        with site() as web:
            web.pages["/big"] = body(b"x" * 5000)
            error = failure_of(lambda: fetch(f"{web.base}/big", limits=TransferLimits(4096, 10)))
        assert error.code is SourceErrorCode.TOO_LARGE and "is 5000 bytes" in str(error)

    def test_the_deadline_fires_while_a_read_waits(self, fetch: Fetch) -> None:
        """The server goes silent mid-body; the read timeout (5 s) is far off, the deadline
        (0.5 s) is not: the transfer ends at the deadline, not at the next chunk."""
        with site() as web:
            web.pages["/stall"] = silent_after_headers
            started = time.monotonic()
            error = failure_of(
                lambda: fetch(f"{web.base}/stall", limits=TransferLimits(1 << 20, 0.5))
            )
            took = time.monotonic() - started
        assert isinstance(error, DeadlineError) and error.retryable
        assert "took over 0.5 s" in str(error)
        assert took < 2.5, took


def test_request_errors_keep_their_class_and_code_through_pickling() -> None:
    for error in (UnresolvedHostError("cannot resolve x"), TooManyRedirectsError("loop")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and copy.code is error.code and str(copy) == str(error)
