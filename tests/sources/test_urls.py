"""URL recognition: every TikTok form, allowed direct hosts, refusals."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.urls import (
    SourceKind,
    check_public_address,
    parse_allowed_hosts,
    parse_source_url,
)

VIDEO_ID = "7301234567890123456"
ALLOWED = parse_allowed_hosts(" Media.Example.com, 127.0.0.1 ,")


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            f"https://www.tiktok.com/@dj.kay/video/{VIDEO_ID}",
            f"https://www.tiktok.com/@dj.kay/video/{VIDEO_ID}",
        ),
        (
            f"https://www.tiktok.com/@dj.kay/video/{VIDEO_ID}?is_from_webapp=1&sender_device=pc",
            f"https://www.tiktok.com/@dj.kay/video/{VIDEO_ID}",
        ),
        (
            f"http://tiktok.com/@dj.kay/video/{VIDEO_ID}/",
            f"https://www.tiktok.com/@dj.kay/video/{VIDEO_ID}",
        ),
        (f"https://m.tiktok.com/v/{VIDEO_ID}.html", f"https://www.tiktok.com/@/video/{VIDEO_ID}"),
        (f"  https://m.tiktok.com/v/{VIDEO_ID}  ", f"https://www.tiktok.com/@/video/{VIDEO_ID}"),
    ],
)
def test_tiktok_video_forms_canonicalise_to_one_url_and_id(url: str, canonical: str) -> None:
    ref = parse_source_url(url, ALLOWED)
    assert (ref.kind, ref.url, ref.source_id) == (SourceKind.TIKTOK, canonical, VIDEO_ID)
    assert not ref.is_short_link


@pytest.mark.parametrize(
    ("url", "short"),
    [
        ("https://vm.tiktok.com/ZMabc123/", "https://vm.tiktok.com/ZMabc123"),
        ("https://vt.tiktok.com/ZSxyz789", "https://vt.tiktok.com/ZSxyz789"),
        ("https://www.tiktok.com/t/ZTRabc12/", "https://www.tiktok.com/t/ZTRabc12"),
    ],
)
def test_short_links_are_recognised_for_resolution(url: str, short: str) -> None:
    ref = parse_source_url(url, ALLOWED)
    assert (ref.kind, ref.url, ref.source_id, ref.is_short_link) == (
        SourceKind.TIKTOK,
        short,
        None,
        True,
    )


def test_photo_posts_are_recognised_as_such() -> None:
    ref = parse_source_url(f"https://www.tiktok.com/@a/photo/{VIDEO_ID}", ALLOWED)
    assert ref.is_photo and ref.url.endswith(f"/photo/{VIDEO_ID}")


def test_direct_urls_on_allowed_hosts_and_their_subdomains() -> None:
    ref = parse_source_url("https://cdn.media.example.com/clips/a%20b.mp4?x=1#frag", ALLOWED)
    assert (ref.kind, ref.url, ref.source_id) == (
        SourceKind.URL,
        "https://cdn.media.example.com/clips/a%20b.mp4?x=1",
        None,
    )


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", SourceErrorCode.INVALID_URL),
        ("ftp://media.example.com/a.mp4", SourceErrorCode.INVALID_URL),
        ("file:///etc/passwd", SourceErrorCode.INVALID_URL),
        ("https://evil.example.org/a.mp4", SourceErrorCode.HOST_NOT_ALLOWED),
        ("https://media.example.com.evil.org/a.mp4", SourceErrorCode.HOST_NOT_ALLOWED),
        ("https://www.tiktok.com/@user", SourceErrorCode.INVALID_URL),
        ("https://www.tiktok.com/@user/video/notanumber", SourceErrorCode.INVALID_URL),
        ("https://example.com/" + "a" * 3000, SourceErrorCode.INVALID_URL),
    ],
)
def test_bad_urls_are_refused_with_a_reason(url: str, code: SourceErrorCode) -> None:
    with pytest.raises(SourceError) as failure:
        parse_source_url(url, ALLOWED)
    assert failure.value.code is code
    assert not failure.value.retryable


def test_private_addresses_are_refused_unless_the_host_is_listed() -> None:
    check_public_address("127.0.0.1", ALLOWED)  # named explicitly: trusted
    with pytest.raises(SourceError) as failure:
        check_public_address("localhost", ALLOWED)
    assert failure.value.code is SourceErrorCode.HOST_NOT_ALLOWED
    with pytest.raises(SourceError):
        check_public_address("10.1.2.3", frozenset())


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/x",
        "http://127.0.0.1:abc/x",
        "http://127.0.0.1:99999/x",
        "http://127.0.0.1:0/x",
        "http://127.0.0.1/a\x01b.mp4",
        "http://127.0.0.1/a\x7fb.mp4",
        "http://media.exa\tmple.com/a.mp4",
        "http://media.example.com/a\nb.mp4",
        "http://media.example.com/a b.mp4",
        "http://media..example.com/a.mp4",
        "http://media%2eexample.com/a.mp4",
        "http://media\u200b.example.com/a.mp4",
        f"https://www.tiktok.com:70000/@dj/video/{VIDEO_ID}",
    ],
)
def test_urls_no_client_could_fetch_are_invalid(url: str) -> None:
    with pytest.raises(SourceError) as failure:
        parse_source_url(url, ALLOWED)
    assert failure.value.code is SourceErrorCode.INVALID_URL


def test_ports_and_ipv6_literals_that_can_be_fetched_pass() -> None:
    assert parse_source_url("http://127.0.0.1:8080/a.mp4", ALLOWED).url == (
        "http://127.0.0.1:8080/a.mp4"
    )
    assert parse_source_url("http://[::1]:65535/a.mp4", frozenset({"::1"})).kind is SourceKind.URL


# Pieces a hostile submitter combines: each part of a URL, well-formed or broken.
_ODD = st.sampled_from(
    ["", "[", "]", "@", "%", ".", ":", "\t", "\n", " ", "\x00", "\x7f", "\u200b"]
)
_SCHEMES = st.sampled_from(["http", "https", "ftp", "HTTP", ""])
_HOSTS = st.sampled_from(
    ["127.0.0.1", "media.example.com", "www.tiktok.com", "[::1]", "[::1", "::1]", "é.com"]
)
_PORTS = st.sampled_from(["", ":", ":80", ":0", ":65535", ":65536", ":99999", ":-1", ":abc"])
_PATHS = st.sampled_from(["", "/", "/a.mp4", f"/@dj/video/{VIDEO_ID}", "/a b", "/a?b#c"])


def _mixed(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(pieces, _ODD | st.text(max_size=3), pieces).map("".join) | pieces


_URLS = st.tuples(
    _SCHEMES, st.sampled_from(["://", ":/", "//", ""]), _mixed(_HOSTS), _mixed(_PORTS), _PATHS
).map("".join)


@given(_URLS | st.text(max_size=40))
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
def test_any_text_is_a_fetchable_url_or_a_source_error(text: str) -> None:
    try:
        ref = parse_source_url(text, ALLOWED)
    except SourceError:
        return
    parts = urlsplit(ref.url)
    assert parts.scheme in ("http", "https") and parts.hostname
    assert parts.port is None or 1 <= parts.port <= 65535
    assert not any(char.isspace() or ord(char) < 0x20 for char in ref.url)
