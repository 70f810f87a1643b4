"""Key validation and Content-Type mapping."""

from __future__ import annotations

import pytest

from cratedig.storage import InvalidKey, StorageError, content_type_for, validate_key
from cratedig.storage.validation import validate_prefix


class TestValidateKey:
    @pytest.mark.parametrize(
        "key", ["samples/1/audio.mp3", "a", "creators/x y/avatar_thumb.jpg", "é/ü.json"]
    )
    def test_accepts_safe_keys(self, key: str) -> None:
        assert validate_key(key) == key

    @pytest.mark.parametrize(
        "key",
        ["", "/abs", "..", "a/../b", "a/./b", "a//b", "a\\b", "a\x00b", "a\nb", "a/", "x" * 1025],
    )
    def test_rejects_unsafe_keys(self, key: str) -> None:
        with pytest.raises(InvalidKey):
            validate_key(key)

    def test_invalid_key_is_a_storage_error_and_a_value_error(self) -> None:
        with pytest.raises(StorageError):
            validate_key("../x")
        with pytest.raises(ValueError, match="relative"):
            validate_key("/x")


class TestValidatePrefix:
    def test_strips_one_trailing_slash(self) -> None:
        assert validate_prefix("samples/1/") == "samples/1"
        assert validate_prefix("", allow_empty=True) == ""

    @pytest.mark.parametrize("prefix", ["", "/", "../", "a//", "/a"])
    def test_rejects(self, prefix: str) -> None:
        with pytest.raises(InvalidKey):
            validate_prefix(prefix)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("v/video.mp4", "video/mp4"),
        ("v/thumbnail.jpg", "image/jpeg"),
        ("v/WAVEFORM.PNG", "image/png"),
        ("v/audio.wav", "audio/wav"),
        ("v/audio.mp3", "audio/mpeg"),
        ("v/hls/playlist.m3u8", "application/vnd.apple.mpegurl"),
        ("v/hls/segment_000.ts", "video/mp2t"),
        ("v/waveform.json", "application/json"),
        ("v/unknown.xyz", None),
        ("v/noext", None),
    ],
)
def test_content_type_for(key: str, expected: str | None) -> None:
    assert content_type_for(key) == expected
