"""Direct media URLs against a loopback server: success, redirects, refusals, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratedig.sources.direct import DirectFetchLimits, fetch_direct
from cratedig.sources.errors import SourceError, SourceErrorCode
from tests.fixtures.http_server import Route, loopback_server
from tests.fixtures.media import make_clip

ALLOWED = frozenset({"127.0.0.1"})


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small real MP4 to serve."""
    return make_clip(tmp_path_factory.mktemp("clip") / "c.mp4", 2.0, video=True).read_bytes()


def test_downloads_a_video_and_names_it_after_the_file(tmp_path: Path, clip_bytes: bytes) -> None:
    routes = {"/clips/My%20Loop.mp4": Route(body=clip_bytes, headers={"Content-Type": "video/mp4"})}
    with loopback_server(routes) as server:
        media = fetch_direct(f"{server.base}/clips/My%20Loop.mp4", tmp_path / "v", ALLOWED)
    assert media.path.read_bytes() == clip_bytes
    assert (media.title, media.content_type, media.size) == (
        "My Loop",
        "video/mp4",
        len(clip_bytes),
    )


def test_follows_redirects_on_allowed_hosts(tmp_path: Path, clip_bytes: bytes) -> None:
    with loopback_server() as server:
        server.routes["/a"] = Route(302, headers={"Location": "/b.mp4"})
        server.routes["/b.mp4"] = Route(body=clip_bytes, headers={"Content-Type": "video/mp4"})
        media = fetch_direct(f"{server.base}/a", tmp_path / "v", ALLOWED)
    assert media.final_url.endswith("/b.mp4")


def test_a_redirect_to_another_host_is_refused(tmp_path: Path) -> None:
    with loopback_server() as server:
        server.routes["/a"] = Route(302, headers={"Location": "http://169.254.169.254/latest"})
        with pytest.raises(SourceError) as failure:
            fetch_direct(f"{server.base}/a", tmp_path / "v", ALLOWED)
    assert failure.value.code is SourceErrorCode.HOST_NOT_ALLOWED


@pytest.mark.parametrize(
    ("route", "code"),
    [
        (Route(404), SourceErrorCode.NOT_FOUND),
        (Route(403), SourceErrorCode.PRIVATE),
        (Route(429), SourceErrorCode.RATE_LIMITED),
        (Route(503), SourceErrorCode.NETWORK),
        (
            Route(200, b"<html></html>", {"Content-Type": "text/html"}),
            SourceErrorCode.UNSUPPORTED_MEDIA,
        ),
        (Route(200, b"x" * 5000, {"Content-Type": "video/mp4"}), SourceErrorCode.TOO_LARGE),
    ],
)
def test_failures_map_to_stable_codes(tmp_path: Path, route: Route, code: SourceErrorCode) -> None:
    with loopback_server({"/m": route}) as server, pytest.raises(SourceError) as failure:
        fetch_direct(f"{server.base}/m", tmp_path / "v", ALLOWED, DirectFetchLimits(4096))
    assert failure.value.code is code
    assert failure.value.retryable is (
        code in (SourceErrorCode.RATE_LIMITED, SourceErrorCode.NETWORK)
    )


def test_an_unreachable_server_is_a_retryable_network_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as failure:
        fetch_direct(
            "http://127.0.0.1:9/x.mp4",
            tmp_path / "v",
            ALLOWED,
            DirectFetchLimits(timeout_seconds=2),
        )
    assert failure.value.code is SourceErrorCode.NETWORK and failure.value.retryable
