"""The MITM proxy stands in for TikTok's pages and CDNs for every HTTP client the project uses."""

from __future__ import annotations

import os
import pathlib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator

import certifi
import curl_cffi.requests
import httpx
import pytest
import yt_dlp
from cryptography import x509
from curl_cffi.const import CurlHttpVersion
from yt_dlp.networking import Request
from yt_dlp.networking.exceptions import CertificateVerifyError, HTTPError, TransportError
from yt_dlp.networking.impersonate import ImpersonateTarget

from tests.fixtures.mitm_proxy import (
    MitmProxy,
    ProxiedRequest,
    ProxiedResponse,
    TestCA,
    running_mitm_proxy,
    test_ca,  # noqa: F401  (fixture)
    trust_env,
    trusted_test_ca,  # noqa: F401  (fixture)
)

PAGE_URL = "https://www.tiktok.com/@u/video/123?lang=en"
PAGE = b"<html><body><script id='data'>{}</script>video 123</body></html>"
CDN_URL = "https://v16-webapp.tiktokcdn.com/video/x.bin"
CDN_BYTES = bytes(range(256)) * 64


def _handler(request: ProxiedRequest) -> ProxiedResponse:
    """A tiny internet: a TikTok page, a CDN, and a few failure modes."""
    if request.host == "www.tiktok.com" and request.path.startswith("/@u/video/123"):
        return ProxiedResponse(200, {"Content-Type": "text/html; charset=utf-8"}, PAGE)
    if request.host == "v16-webapp.tiktokcdn.com":
        return ProxiedResponse(200, {"Content-Type": "application/octet-stream"}, CDN_BYTES)
    if request.path == "/forbidden":
        return ProxiedResponse(403, {"X-Why": "geo"}, b"no")
    if request.path == "/drop":
        return ProxiedResponse(drop=True)
    if request.path == "/boom":
        raise RuntimeError("handler bug")
    if request.path == "/echo":
        return ProxiedResponse(200, {}, request.method.encode() + b" " + request.body)
    return ProxiedResponse(404, {}, b"not found")


@pytest.fixture
def proxy(test_ca: TestCA) -> Iterator[MitmProxy]:  # noqa: F811
    """A proxy answering with `_handler`, for this test only."""
    with running_mitm_proxy(_handler, test_ca) as running:
        yield running


@pytest.fixture
def untrusted(test_ca: TestCA, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Make sure nothing in the environment trusts the test CA."""
    for name in trust_env(test_ca):
        monkeypatch.delenv(name, raising=False)
    assert certifi.where() != str(test_ca.bundle_path)


def _ydl(proxy: MitmProxy) -> yt_dlp.YoutubeDL:
    return yt_dlp.YoutubeDL({"proxy": proxy.url, "quiet": True, "no_warnings": True})


def _impersonated(url: str) -> Request:
    return Request(url, extensions={"impersonate": ImpersonateTarget("chrome")})


# --- each client, through the proxy, trusting the CA -----------------------------------------


@pytest.mark.usefixtures("trusted_test_ca")
def test_curl_cffi_chrome_over_http_proxy_gets_the_page_over_http_1_1(proxy: MitmProxy) -> None:
    with curl_cffi.requests.Session(impersonate="chrome", proxy=proxy.url) as session:
        response = session.get(PAGE_URL)
    assert response.status_code == 200
    assert response.content == PAGE
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    # Chrome offers h2 by ALPN; the proxy selects nothing, so curl falls back to HTTP/1.1.
    assert response.http_version == CurlHttpVersion.V1_1
    (seen,) = proxy.requests
    assert (seen.method, seen.scheme, seen.host) == ("GET", "https", "www.tiktok.com")
    assert seen.path == "/@u/video/123?lang=en"
    assert "Chrome/" in seen.headers["user-agent"]


@pytest.mark.usefixtures("trusted_test_ca")
def test_curl_cffi_chrome_over_socks5h_gets_the_page(proxy: MitmProxy) -> None:
    with curl_cffi.requests.Session(impersonate="chrome", proxy=proxy.socks_url) as session:
        response = session.get(PAGE_URL)
        cdn = session.get(CDN_URL)
    assert (response.status_code, response.content) == (200, PAGE)
    assert (cdn.status_code, cdn.content) == (200, CDN_BYTES)
    # socks5h: the proxy, not the client, resolves the name, so it sees the host name.
    assert [(r.host, r.scheme) for r in proxy.requests] == [
        ("www.tiktok.com", "https"),
        ("v16-webapp.tiktokcdn.com", "https"),
    ]


@pytest.mark.usefixtures("trusted_test_ca")
def test_httpx_over_http_proxy_trusts_ssl_cert_file(proxy: MitmProxy) -> None:
    with httpx.Client(proxy=proxy.url) as client:
        page = client.get(PAGE_URL)
        cdn = client.get(CDN_URL)
    assert (page.status_code, page.content) == (200, PAGE)
    assert (cdn.status_code, cdn.content) == (200, CDN_BYTES)
    assert proxy.requests_to("www.tiktok.com", "/@u/video/123")[0].path == "/@u/video/123?lang=en"


@pytest.mark.usefixtures("trusted_test_ca")
def test_urllib_trusts_ssl_cert_file(proxy: MitmProxy) -> None:
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"https": proxy.url}),
        urllib.request.HTTPSHandler(context=ssl.create_default_context()),
    )
    with opener.open(CDN_URL) as response:
        assert response.read() == CDN_BYTES


@pytest.mark.usefixtures("trusted_test_ca")
def test_yt_dlp_urllib_and_impersonating_handlers(proxy: MitmProxy) -> None:
    with _ydl(proxy) as ydl:
        plain = ydl.urlopen(CDN_URL)
        assert plain.read() == CDN_BYTES
        impersonated = ydl.urlopen(_impersonated(PAGE_URL))
        assert impersonated.read() == PAGE
    assert [(r.host, r.path) for r in proxy.requests] == [
        ("v16-webapp.tiktokcdn.com", "/video/x.bin"),
        ("www.tiktok.com", "/@u/video/123?lang=en"),
    ]
    # Only the impersonating (curl_cffi) request looks like Chrome down to its client hints.
    assert "sec-ch-ua" not in proxy.requests[0].headers
    assert "sec-ch-ua" in proxy.requests[1].headers


@pytest.mark.usefixtures("trusted_test_ca")
def test_ip_address_host_through_httpx(proxy: MitmProxy) -> None:
    with httpx.Client(proxy=proxy.url) as client:
        response = client.get("https://10.20.30.40/echo")
    assert (response.status_code, response.content) == (200, b"GET ")
    assert proxy.requests[0].host == "10.20.30.40"


@pytest.mark.parametrize("host", ["www.tiktok.com", "10.20.30.40"])
def test_leaf_passes_strict_verification_against_the_ca_alone(
    proxy: MitmProxy,
    test_ca: TestCA,  # noqa: F811
    host: str,
) -> None:
    context = ssl.create_default_context(cafile=test_ca.cert_path)
    context.verify_flags |= ssl.VERIFY_X509_STRICT  # needs the CA's key usage and key ids
    context.set_alpn_protocols(["h2", "http/1.1"])
    address = ("127.0.0.1", int(proxy.url.rpartition(":")[2]))
    with socket.create_connection(address, timeout=5) as raw:
        raw.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
        assert raw.recv(4096) == b"HTTP/1.1 200 Connection Established\r\n\r\n"
        with context.wrap_socket(raw, server_hostname=host) as tls:
            assert tls.selected_alpn_protocol() is None  # h2 offered, nothing selected
            leaf = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True) or b"")
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert host in [str(name.value) for name in names]
    assert leaf.issuer == x509.load_pem_x509_certificate(test_ca.cert_path.read_bytes()).subject


# --- the trust comes from the fixture, and only from it --------------------------------------


@pytest.mark.usefixtures("untrusted")
@pytest.mark.parametrize("client", ["curl_cffi", "httpx", "urllib", "yt-dlp", "yt-dlp-chrome"])
def test_without_the_fixture_tls_fails_certificate_verification(
    proxy: MitmProxy, client: str
) -> None:
    if client == "curl_cffi":
        session = curl_cffi.requests.Session(impersonate="chrome", proxy=proxy.url)
        with session, pytest.raises(curl_cffi.requests.exceptions.CertificateVerifyError):
            session.get(PAGE_URL)
    elif client == "httpx":
        with httpx.Client(proxy=proxy.url) as http, pytest.raises(httpx.ConnectError) as error:
            http.get(PAGE_URL)
        assert "CERTIFICATE_VERIFY_FAILED" in str(error.value)
    elif client == "urllib":
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"https": proxy.url}))
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            opener.open(PAGE_URL)
    else:
        request = _impersonated(PAGE_URL) if client == "yt-dlp-chrome" else Request(PAGE_URL)
        with _ydl(proxy) as ydl, pytest.raises(CertificateVerifyError):
            ydl.urlopen(request)
    assert proxy.requests == []  # no request got through the failed handshake


def test_yt_dlp_urllib_ignores_the_env_vars_so_the_fixture_patches_certifi(
    proxy: MitmProxy,
    test_ca: TestCA,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in trust_env(test_ca).items():
        monkeypatch.setenv(name, value)
    # With certifi installed, yt-dlp's urllib handler loads certifi.where() and nothing else.
    with _ydl(proxy) as ydl, pytest.raises(CertificateVerifyError):
        ydl.urlopen(CDN_URL)
    # Its curl_cffi handler does read REQUESTS_CA_BUNDLE.
    with _ydl(proxy) as ydl:
        assert ydl.urlopen(_impersonated(CDN_URL)).read() == CDN_BYTES


def test_bundle_keeps_the_real_roots(test_ca: TestCA) -> None:  # noqa: F811
    bundle = test_ca.bundle_path.read_text()
    assert bundle.startswith(pathlib.Path(certifi.where()).read_text())
    assert bundle.endswith(test_ca.cert_path.read_text())
    assert os.environ.get("SSL_CERT_FILE") != str(test_ca.bundle_path)


# --- HTTP semantics --------------------------------------------------------------------------


@pytest.mark.usefixtures("trusted_test_ca")
def test_head_sends_the_content_length_but_no_body(proxy: MitmProxy) -> None:
    with httpx.Client(proxy=proxy.url) as client:
        head = client.head(CDN_URL)
        after = client.get(PAGE_URL)  # the same keep-alive tunnel is still in sync
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(CDN_BYTES))
    assert head.content == b""
    assert after.content == PAGE
    assert [r.method for r in proxy.requests] == ["HEAD", "GET"]


@pytest.mark.usefixtures("trusted_test_ca")
def test_error_statuses_pass_through(proxy: MitmProxy) -> None:
    with curl_cffi.requests.Session(impersonate="chrome", proxy=proxy.url) as session:
        forbidden = session.get("https://www.tiktok.com/forbidden")
        missing = session.get("https://www.tiktok.com/@u/video/999")
    assert (forbidden.status_code, forbidden.headers["x-why"], forbidden.content) == (
        403,
        "geo",
        b"no",
    )
    assert (missing.status_code, missing.content) == (404, b"not found")
    with _ydl(proxy) as ydl, pytest.raises(HTTPError) as error:
        ydl.urlopen("https://www.tiktok.com/forbidden")
    assert error.value.status == 403
    error.value.response.close()  # the error holds the open response (and its socket)


@pytest.mark.usefixtures("trusted_test_ca")
def test_drop_is_a_connection_error(proxy: MitmProxy) -> None:
    with httpx.Client(proxy=proxy.url) as client, pytest.raises(httpx.TransportError):
        client.get("https://www.tiktok.com/drop")
    session = curl_cffi.requests.Session(impersonate="chrome", proxy=proxy.url)
    with session, pytest.raises(curl_cffi.requests.exceptions.RequestException):
        session.get("https://www.tiktok.com/drop")
    with _ydl(proxy) as ydl, pytest.raises(TransportError):
        ydl.urlopen("https://www.tiktok.com/drop")
    assert {r.path for r in proxy.requests} == {"/drop"}


@pytest.mark.usefixtures("trusted_test_ca")
def test_handler_exception_is_a_500_with_the_traceback(proxy: MitmProxy) -> None:
    with httpx.Client(proxy=proxy.url) as client:
        response = client.get("https://www.tiktok.com/boom")
    assert response.status_code == 500
    assert "Traceback" in response.text
    assert "RuntimeError: handler bug" in response.text


@pytest.mark.usefixtures("trusted_test_ca")
def test_request_bodies_reach_the_handler(proxy: MitmProxy) -> None:
    with httpx.Client(proxy=proxy.url) as client:
        sized = client.post("https://api.example.com/echo", content=b"payload")
        chunked = client.post("https://api.example.com/echo", content=iter([b"pay", b"load"]))
    with curl_cffi.requests.Session(impersonate="chrome", proxy=proxy.url) as session:
        curled = session.post("https://api.example.com/echo", data=b"payload")
    assert sized.content == chunked.content == curled.content == b"POST payload"
    assert [r.body for r in proxy.requests] == [b"payload"] * 3
    assert proxy.requests[1].headers["transfer-encoding"] == "chunked"


def test_plain_http_in_absolute_form(proxy: MitmProxy) -> None:
    with httpx.Client(proxy=proxy.url) as client:
        response = client.get("http://www.tiktok.com/@u/video/123?x=1")
    with curl_cffi.requests.Session(proxy=proxy.url) as session:
        curled = session.get("http://v16-webapp.tiktokcdn.com/plain.bin")
    assert (response.status_code, response.content) == (200, PAGE)
    assert curled.content == CDN_BYTES
    assert [(r.scheme, r.host, r.path) for r in proxy.requests] == [
        ("http", "www.tiktok.com", "/@u/video/123?x=1"),
        ("http", "v16-webapp.tiktokcdn.com", "/plain.bin"),
    ]


def test_plain_http_tunnelled_over_socks(proxy: MitmProxy) -> None:
    with curl_cffi.requests.Session(proxy=proxy.socks_url) as session:
        response = session.get("http://www.tiktok.com/@u/video/123")
    assert response.content == PAGE
    assert proxy.requests[0].scheme == "http"


@pytest.mark.usefixtures("trusted_test_ca")
def test_requests_are_recorded_filtered_and_cleared(proxy: MitmProxy) -> None:
    with httpx.Client(proxy=proxy.url) as client:
        client.get(PAGE_URL)
        client.head(CDN_URL)
        client.get("https://www.tiktok.com/forbidden")
    assert [(r.method, r.host, r.path) for r in proxy.requests] == [
        ("GET", "www.tiktok.com", "/@u/video/123?lang=en"),
        ("HEAD", "v16-webapp.tiktokcdn.com", "/video/x.bin"),
        ("GET", "www.tiktok.com", "/forbidden"),
    ]
    assert [r.path for r in proxy.requests_to("www.tiktok.com")] == [
        "/@u/video/123?lang=en",
        "/forbidden",
    ]
    assert [r.path for r in proxy.requests_to("www.tiktok.com", "/@u/")] == [
        "/@u/video/123?lang=en"
    ]
    assert proxy.requests_to("v16-webapp.tiktokcdn.com", "/other") == []
    proxy.clear()
    assert proxy.requests == []


def test_exiting_the_block_closes_the_port_and_open_connections(test_ca: TestCA) -> None:  # noqa: F811
    with running_mitm_proxy(_handler, test_ca) as running:
        address = ("127.0.0.1", int(running.url.rpartition(":")[2]))
        kept_alive = socket.create_connection(address, timeout=5)
        kept_alive.sendall(b"GET http://www.tiktok.com/forbidden HTTP/1.1\r\nHost: x\r\n\r\n")
        assert kept_alive.recv(65536).startswith(b"HTTP/1.1 403 Forbidden\r\n")
    with kept_alive:
        assert kept_alive.recv(1) == b""  # closed by the proxy, not by the 5 s timeout
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=5)
