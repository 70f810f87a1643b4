"""Object keys: the layout in DESIGN.md, staging for reprocessing, and safety."""

from __future__ import annotations

import pytest

from cratedig.artifacts import CREATOR_AVATARS, SAMPLE_ARTIFACTS
from cratedig.storage import InvalidKey, keys

SAMPLE_FILES = [artifact.file for artifact in SAMPLE_ARTIFACTS]


class TestSampleKeys:
    def test_layout(self) -> None:
        assert keys.sample_prefix(42) == "samples/42"
        assert [keys.sample_key(42, name) for name in SAMPLE_FILES] == [
            "samples/42/video.mp4",
            "samples/42/thumbnail.jpg",
            "samples/42/cover.jpg",
            "samples/42/origin_cover.jpg",
            "samples/42/audio.wav",
            "samples/42/audio.mp3",
            "samples/42/hls/playlist.m3u8",
            "samples/42/waveform.png",
            "samples/42/waveform.json",
        ]
        assert keys.hls_prefix("abc") == "samples/abc/hls"

    def test_hls_segments(self) -> None:
        assert keys.hls_segment_name(0) == "hls/segment_000.ts"
        assert keys.sample_key(7, keys.hls_segment_name(12)) == "samples/7/hls/segment_012.ts"
        with pytest.raises(InvalidKey):
            keys.hls_segment_name(-1)

    @pytest.mark.parametrize("bad_id", ["", "..", ".", "a/b", "../x"])
    def test_ids_must_be_one_segment(self, bad_id: str) -> None:
        with pytest.raises(InvalidKey):
            keys.sample_key(bad_id, keys.VIDEO)
        with pytest.raises(InvalidKey):
            keys.avatar_key(bad_id, "thumb")

    def test_names_cannot_escape(self) -> None:
        with pytest.raises(InvalidKey):
            keys.sample_key(1, "../2/audio.mp3")


class TestCreatorKeys:
    def test_avatars(self) -> None:
        assert keys.creator_prefix(9) == "creators/9"
        assert [keys.avatar_key(9, size) for size in CREATOR_AVATARS] == [
            "creators/9/avatar_thumb.jpg",
            "creators/9/avatar_medium.jpg",
            "creators/9/avatar_large.jpg",
        ]
        assert keys.avatar_key("u1", "large") == "creators/u1/avatar_large.jpg"
        with pytest.raises(ValueError, match="huge"):
            keys.avatar_key(9, "huge")


class TestStaging:
    def test_staging_layout(self) -> None:
        assert keys.staging_prefix(5, 3) == "staging/5/3"
        assert keys.staging_key(5, 3, keys.hls_segment_name(1)) == "staging/5/3/hls/segment_001.ts"
        with pytest.raises(InvalidKey):
            keys.staging_prefix(5, -1)

    def test_published_key_maps_staged_to_final(self) -> None:
        for name in (*SAMPLE_FILES, keys.hls_segment_name(4)):
            staged = keys.staging_key(5, 3, name)
            assert keys.published_key(staged) == f"samples/5/g3/{name}"
            assert keys.published_key(keys.staging_key(5, 0, name)) == keys.sample_key(5, name)

    @pytest.mark.parametrize(
        "key", ["samples/5/audio.mp3", "staging/5/x/audio.mp3", "staging/5/3", "staging/5/3/../a"]
    )
    def test_published_key_rejects_non_staged(self, key: str) -> None:
        with pytest.raises(InvalidKey):
            keys.published_key(key)

    def test_relative_name(self) -> None:
        prefix = keys.staging_prefix(5, 3)
        assert keys.relative_name(f"{prefix}/hls/segment_000.ts", prefix) == "hls/segment_000.ts"
        with pytest.raises(InvalidKey):
            keys.relative_name("staging/5/30/audio.mp3", prefix)
