"""Mapping a TikTok post's data to sample and creator fields."""

from __future__ import annotations

from typing import Any

from cratedig.config import DEFAULT_NOISE_TAGS, Settings
from cratedig.sources.tiktok_metadata import (
    is_complete_profile,
    is_original_sound,
    post_metadata,
    tags_of,
    title_without_hashtags,
)
from tests.fixtures.tiktok_site import POSTED_AT, FakeCreator, FakePost, item_struct

NOISE = Settings(noise_tags=DEFAULT_NOISE_TAGS).noise_tag_set


def _item(**kwargs: Any) -> dict[str, Any]:
    return item_struct(FakePost("7301234567890123456", **kwargs), 1, 1000)


def test_a_video_post_maps_every_field_from_the_page_alone() -> None:
    meta = post_metadata({}, _item(), NOISE)
    assert meta["title"] == "Dusty lo-fi loop for your next beat"
    assert meta["description"].endswith("#fyp #foryou")
    assert meta["tags"] == ["lofi", "beats", "samplepack"]
    assert meta["posted_at"] == "2024-11-24T00:00:00+00:00" and POSTED_AT
    assert (meta["view_count"], meta["like_count"], meta["share_count"]) == (1_776_621, 5120, 87)
    assert (meta["comment_count"], meta["save_count"]) == (143, 640)
    assert meta["sound_title"] == "Golden Hour Loop"
    assert meta["sound_artist"] == "Tape Deck & The Hiss"
    assert meta["sound_album"] == "Warm Loops Vol. 2"
    assert meta["sound_is_original"] is False
    assert meta["region"] == "US" and meta["post_type"] == "video"
    assert meta["cover_url"].startswith("https://p16-sign-va.tiktokcdn.com/")
    assert "_origin" in meta["origin_cover_url"]
    assert meta["canonical_url"] == "https://www.tiktok.com/@loopsmith/video/7301234567890123456"
    creator = meta["creator"]
    assert creator["username"] == "loopsmith" and creator["nickname"] == "Loop Smith"
    assert creator["source_id"] == FakeCreator().user_id
    assert creator["sec_uid"].startswith("MS4wLjABAAAA")
    assert creator["verified"] is True and creator["signature"] == "drum loops daily 🥁"
    assert (creator["follower_count"], creator["following_count"]) == (1_776_621, 31)
    assert (creator["heart_count"], creator["video_count"]) == (12_504_301, 214)
    assert set(creator["avatar_urls"]) == {"thumb", "medium", "large"}
    assert is_complete_profile(creator)


COUNTS = ("view_count", "like_count", "share_count", "comment_count", "save_count")


def test_exact_counts_win_over_yt_dlps_rounded_ones_which_win_over_the_rounded_page() -> None:
    info = {
        "view_count": 1_800_000,  # yt-dlp reads the rounded `stats`
        "like_count": 2,
        "repost_count": 3,
        "comment_count": 4,
        "save_count": 5,
    }
    assert [post_metadata(info, _item(), NOISE)[k] for k in COUNTS] == [
        1_776_621,
        5120,
        87,
        143,
        640,
    ]
    without_exact = _item(stats_blocks=("stats",))
    assert [post_metadata(info, without_exact, NOISE)[k] for k in COUNTS] == [1_800_000, 2, 3, 4, 5]
    assert post_metadata({}, without_exact, NOISE)["view_count"] == 1_800_000
    only_exact = _item(stats_blocks=("statsV2",))
    assert post_metadata({}, only_exact, NOISE)["view_count"] == 1_776_621


def test_author_counts_are_exact_and_read_from_either_block() -> None:
    for blocks, followers in (
        (("authorStats", "authorStatsV2"), 1_776_621),
        (("authorStatsV2",), 1_776_621),
        (("authorStats",), 1_800_000),
    ):
        item = _item(creator=FakeCreator(author_stats_blocks=blocks))
        creator = post_metadata({}, item, NOISE)["creator"]
        assert creator["follower_count"] == followers
        assert is_complete_profile(creator)  # no profile page needed for counts


def test_yt_dlp_track_and_album_win_over_the_page() -> None:
    info = {"track": "Other Track", "artists": ["A", "B"], "album": "LP"}
    meta = post_metadata(info, _item(), NOISE)
    assert (meta["sound_title"], meta["sound_artist"], meta["sound_album"]) == (
        "Other Track",
        "Tape Deck & The Hiss",
        "LP",
    )


def test_a_photo_post_takes_the_first_image_as_cover_and_has_no_origin_cover() -> None:
    meta = post_metadata({}, _item(photo=True), NOISE)
    assert meta["post_type"] == "photo"
    assert meta["cover_url"].endswith("_0.jpeg")
    assert meta["origin_cover_url"] is None
    assert "/photo/" in meta["canonical_url"]


def test_original_sound_by_flag_or_by_title() -> None:
    assert post_metadata({}, _item(original_sound=True), NOISE)["sound_is_original"] is True
    assert is_original_sound({}, "original sound - someone") is True
    assert is_original_sound({}, "som original - alguém") is True
    assert is_original_sound({}, "Golden Hour") is False
    assert is_original_sound({}, None) is None


def test_title_drops_hashtags_and_an_empty_title_falls_back_to_the_sound() -> None:
    assert title_without_hashtags("#a  loop #b  here #c") == "loop here"
    meta = post_metadata({}, _item(desc="#fyp #viral"), NOISE)
    assert meta["title"] == "Golden Hour Loop"
    assert meta["tags"] == ["lofi", "beats", "samplepack"]


def test_noise_tags_are_configurable() -> None:
    custom = Settings(noise_tags="lofi, #SamplePack").noise_tag_set
    assert tags_of("#fyp #lofi #drums", {}, custom) == ["fyp", "drums"]


def test_a_profile_without_counts_or_avatars_is_incomplete() -> None:
    item = _item(creator=FakeCreator(stats_on_video_page=False))
    creator = post_metadata({}, item, NOISE)["creator"]
    assert creator["follower_count"] is None
    assert not is_complete_profile(creator)


def test_missing_fields_stay_none() -> None:
    meta = post_metadata({"id": "1"}, {}, NOISE)
    assert meta["title"] == "TikTok 1" and meta["tags"] == []
    assert meta["region"] is None and meta["sound_is_original"] is None
    assert meta["creator"]["username"] is None
