"""SSRF: every fetch refuses private, loopback, link-local and metadata addresses, on every
redirect hop and after DNS resolution; downloads are bounded in size and time."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cratedig.pipeline.images import fetch_optional_jpeg
from cratedig.sources.direct import DirectFetchLimits, fetch_direct
from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.tiktok import download_image
from cratedig.sources.tiktok_http import TikTokClient, TikTokOptions, TransferLimits
from cratedig.sources.tiktok_ytdlp import RefusedRequestError, checked_youtube_dl
from cratedig.sources.urls import check_public_address
from tests.api.conftest import Api
from tests.fixtures.http_server import LoopbackServer, Route, loopback_server

ONLY_LOOPBACK_IP = frozenset({"127.0.0.1"})
SECRET_PATH = "/secret.mp4"
SECRET = Route(body=b"internal only", headers={"Content-Type": "video/mp4"})


def private_targets(port: int) -> list[str]:
    """Redirect targets that must never be fetched (the port is the fixture's own)."""
    return [
        "http://10.0.0.1/x.mp4",
        "http://169.254.169.254/latest/meta-data/",
        f"http://[::1]:{port}{SECRET_PATH}",
        f"http://localhost:{port}{SECRET_PATH}",
        f"http://127.0.0.2:{port}{SECRET_PATH}",
        f"http://[::ffff:127.0.0.1]:{port}{SECRET_PATH}",
        f"http://2130706433:{port}{SECRET_PATH}",  # 127.0.0.1 as one decimal number
        f"http://0.0.0.0:{port}{SECRET_PATH}",
    ]


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A loopback server (an allowed host) that also holds an "internal" file."""
    with loopback_server({SECRET_PATH: SECRET}) as running:
        yield running


def port_of(server: LoopbackServer) -> int:
    """The fixture's port."""
    return int(server.base.rsplit(":", 1)[1])


def refused(call: Any, *args: Any) -> SourceError:
    """Run `call(*args)`, which must raise a non-retryable refusal."""
    with pytest.raises(SourceError) as failure:
        call(*args)
    assert failure.value.code is SourceErrorCode.HOST_NOT_ALLOWED, failure.value
    assert not failure.value.retryable
    return failure.value


class TestRedirectHops:
    def test_direct_media(self, server: LoopbackServer, tmp_path: Path) -> None:
        for n, target in enumerate(private_targets(port_of(server))):
            server.routes[f"/hop{n}"] = Route(302, headers={"Location": target})
            target_file = tmp_path / f"v{n}"
            url = f"{server.base}/hop{n}"
            refused(fetch_direct, url, target_file, ONLY_LOOPBACK_IP)
            assert not target_file.exists()
        assert server.hits.get(SECRET_PATH) is None

    def test_a_listed_name_still_has_its_address_checked(
        self, server: LoopbackServer, tmp_path: Path
    ) -> None:
        allowed = frozenset({"127.0.0.1", "localhost"})
        url = f"http://localhost:{port_of(server)}{SECRET_PATH}"
        refused(fetch_direct, url, tmp_path / "v", allowed)
        server.routes["/hop"] = Route(302, headers={"Location": url})
        refused(fetch_direct, f"{server.base}/hop", tmp_path / "v", allowed)
        assert server.hits.get(SECRET_PATH) is None
        refused(check_public_address, "localhost", allowed)

    def test_images_and_avatars(self, server: LoopbackServer) -> None:
        options = TikTokOptions(allowed_hosts=ONLY_LOOPBACK_IP, timeout_seconds=5)
        for n, target in enumerate(private_targets(port_of(server))):
            server.routes[f"/avatar{n}.jpeg"] = Route(302, headers={"Location": target})
            url = f"{server.base}/avatar{n}.jpeg"
            refused(download_image, url, options, 1 << 20)
            assert fetch_optional_jpeg(url, options, "avatar") is None  # skipped, not stored
        assert server.hits.get(SECRET_PATH) is None

    def test_short_link_resolution(self, server: LoopbackServer) -> None:
        options = TikTokOptions(allowed_hosts=ONLY_LOOPBACK_IP, timeout_seconds=5)
        server.routes["/t/abcd"] = Route(302, headers={"Location": "http://10.0.0.1/@a/video/1"})
        with TikTokClient(options) as client:
            refused(client.redirect_target, f"{server.base}/t/abcd", lambda _u: False)


def ytdlp_open(url: str, options: TikTokOptions, limits: TransferLimits | None = None) -> bytes:
    """GET `url` the way yt-dlp fetches a TikTok page or its media, and read the body."""
    limits = limits or TransferLimits(1 << 20, 10.0)
    with checked_youtube_dl({"quiet": True}, options, limits) as ydl:
        try:
            with ydl.urlopen(url) as response:
                return bytes(response.read())
        except RefusedRequestError as exc:
            raise exc.reason from None


class TestYtDlpRequests:
    """yt-dlp fetches a post's page and media itself: through our checks, hop by hop."""

    OPTIONS = TikTokOptions(allowed_hosts=ONLY_LOOPBACK_IP, timeout_seconds=5)

    def test_every_redirect_hop_is_checked(self, server: LoopbackServer) -> None:
        server.routes["/page"] = Route(body=b"<html>post</html>")
        server.routes["/hop"] = Route(302, headers={"Location": "/page"})
        assert ytdlp_open(f"{server.base}/hop", self.OPTIONS) == b"<html>post</html>"
        for n, target in enumerate(private_targets(port_of(server))):
            server.routes[f"/media{n}"] = Route(302, headers={"Location": target})
            refused(ytdlp_open, f"{server.base}/media{n}", self.OPTIONS)
        assert server.hits.get(SECRET_PATH) is None

    def test_a_listed_name_is_checked_at_its_address(self, server: LoopbackServer) -> None:
        options = TikTokOptions(allowed_hosts=frozenset({"127.0.0.1", "localhost"}))
        refused(ytdlp_open, f"http://localhost:{port_of(server)}{SECRET_PATH}", options)
        assert server.hits.get(SECRET_PATH) is None

    def test_hosts_off_tiktok_are_refused_before_connecting(self) -> None:
        options = TikTokOptions(timeout_seconds=5)
        for url in ("http://127.0.0.1:9/x", "https://evil.example.org/x", "http://10.0.0.1/x"):
            refused(ytdlp_open, url, options)

    def test_the_body_is_bounded_whatever_the_headers_say(self) -> None:
        limits = TransferLimits(max_bytes=100_000, max_seconds=10)
        with raw_server(_Endless) as base, pytest.raises(SourceError) as big:
            ytdlp_open(f"{base}/big.mp4", self.OPTIONS, limits)
        assert big.value.code is SourceErrorCode.TOO_LARGE
        slow = TransferLimits(max_bytes=1 << 20, max_seconds=0.3)
        with raw_server(_Dripping) as base, pytest.raises(SourceError) as drip:
            ytdlp_open(f"{base}/slow.mp4", self.OPTIONS, slow)
        assert drip.value.code is SourceErrorCode.NETWORK and "took over" in str(drip.value)


class _Rebinding:
    """A resolver that answers a public address once, then loopback (DNS rebinding)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if host != self.name:
            return self.real(host, port, *args, **kw)
        self.calls += 1
        address = "93.184.216.34" if self.calls == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]


def test_dns_rebinding_is_caught_at_the_connected_address(
    server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = _Rebinding("rebind.example")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    url = f"http://rebind.example:{port_of(server)}{SECRET_PATH}"
    error = refused(fetch_direct, url, tmp_path / "v", frozenset({"rebind.example"}))
    assert "127.0.0.1" in str(error)
    assert resolver.calls == 2  # our check, then the connection's own lookup
    assert not (tmp_path / "v").exists()


@contextmanager
def raw_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1; yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _Endless(BaseHTTPRequestHandler):
    """200 with no Content-Length, then bytes until the client hangs up (HTTP/1.0)."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.end_headers()
        try:
            for _ in range(10_000):
                self.wfile.write(b"x" * 4096)
        except OSError:
            pass  # the client stopped reading: what we want

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _Dripping(_Endless):
    """200 with a declared small length, then one byte at a time, slowly."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", "100")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                threading.Event().wait(0.1)
        except OSError:
            pass


class _Silent(_Endless):
    """Accepts the request and never answers."""

    def do_GET(self) -> None:
        threading.Event().wait(5)


class TestBoundedDownloads:
    def test_size_is_counted_while_streaming(self, tmp_path: Path) -> None:
        limits = DirectFetchLimits(max_bytes=100_000)
        with raw_server(_Endless) as base, pytest.raises(SourceError) as failure:
            fetch_direct(f"{base}/big.mp4", tmp_path / "v", ONLY_LOOPBACK_IP, limits)
        assert failure.value.code is SourceErrorCode.TOO_LARGE
        assert not (tmp_path / "v").exists()  # no partial file left behind
        options = TikTokOptions(allowed_hosts=ONLY_LOOPBACK_IP)
        with raw_server(_Endless) as base, pytest.raises(SourceError) as failure:
            download_image(f"{base}/big.jpeg", options, 100_000)
        assert failure.value.code is SourceErrorCode.TOO_LARGE

    def test_a_slow_drip_ends_at_the_download_deadline(self, tmp_path: Path) -> None:
        limits = DirectFetchLimits(timeout_seconds=5, max_seconds=0.3)
        with raw_server(_Dripping) as base, pytest.raises(SourceError) as failure:
            fetch_direct(f"{base}/slow.mp4", tmp_path / "v", ONLY_LOOPBACK_IP, limits)
        assert failure.value.code is SourceErrorCode.NETWORK
        assert "to download" in str(failure.value)
        assert not (tmp_path / "v").exists()

    def test_a_silent_server_times_out(self, tmp_path: Path) -> None:
        limits = DirectFetchLimits(timeout_seconds=0.3)
        with raw_server(_Silent) as base:
            with pytest.raises(SourceError) as direct:
                fetch_direct(f"{base}/x.mp4", tmp_path / "v", ONLY_LOOPBACK_IP, limits)
            options = TikTokOptions(allowed_hosts=ONLY_LOOPBACK_IP, timeout_seconds=0.3)
            with pytest.raises(SourceError) as image:
                download_image(f"{base}/x.jpeg", options, 1 << 20)
        assert direct.value.code is SourceErrorCode.NETWORK and "timed out" in str(direct.value)
        assert image.value.code is SourceErrorCode.NETWORK and image.value.retryable


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/x.mp4",
        "http://10.0.0.1/x.mp4",
        "http://[::1]/x.mp4",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
    ],
)
def test_submitting_an_internal_url_is_refused(api: Api, url: str) -> None:
    response = api.client.post("/api/v1/samples", json={"url": url})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "url"
    assert response.json()["error"]["code"] in ("host_not_allowed", "invalid_url")
