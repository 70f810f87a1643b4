"""TikTok without the internet: error mapping, and clear network failures when offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.tiktok import TikTokOptions, extract, map_error, resolve_short_link
from cratedig.sources.urls import parse_source_url

# A proxy on a closed loopback port: every request fails at once and nothing leaves the host.
OFFLINE = TikTokOptions(proxy="http://127.0.0.1:9", timeout_seconds=3)


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("ERROR: [TikTok] 123: Video not available, status code 10204", SourceErrorCode.IP_BLOCKED),
        (
            "ERROR: [TikTok] 123: This post may not be comfortable for some audiences. Log in",
            SourceErrorCode.LOGIN_REQUIRED,
        ),
        ("ERROR: [TikTok] 123: This account is private", SourceErrorCode.PRIVATE),
        (
            "ERROR: [TikTok] 123: Video not available in your country",
            SourceErrorCode.REGION_BLOCKED,
        ),
        (
            "ERROR: unable to download video data: HTTP Error 403: Forbidden",
            SourceErrorCode.MEDIA_EXPIRED,
        ),
        ("ERROR: [TikTok] 123: HTTP Error 429: Too Many Requests", SourceErrorCode.RATE_LIMITED),
        ("ERROR: [TikTok] 123: Unable to download webpage: timed out", SourceErrorCode.NETWORK),
        ("ERROR: [TikTok] 123: Video not available", SourceErrorCode.NOT_FOUND),
    ],
)
def test_ytdlp_messages_map_to_stable_reasons(message: str, code: SourceErrorCode) -> None:
    error = map_error(message)
    assert error.code is code
    assert "ERROR:" not in str(error) and str(error).startswith("TikTok: ")


def test_offline_extraction_fails_with_a_clear_retryable_network_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as failure:
        extract("https://www.tiktok.com/@a/video/7301234567890123456", tmp_path, OFFLINE)
    assert failure.value.code is SourceErrorCode.NETWORK
    assert failure.value.retryable
    assert list(tmp_path.iterdir()) == []


def test_offline_short_link_resolution_is_a_network_error() -> None:
    ref = parse_source_url("https://vm.tiktok.com/ZMabc123/", frozenset())
    with pytest.raises(SourceError) as failure:
        resolve_short_link(ref, OFFLINE)
    assert failure.value.code is SourceErrorCode.NETWORK
