"""TikTok end to end through the pipeline, on SQLite and PostgreSQL: every URL form, the
metadata on the sample, the creator with three avatars, the creator cache, photo posts."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from PIL import Image

from cratedig.creators.repository import CreatorRepository
from cratedig.models import SampleStatus, utcnow
from cratedig.pipeline.queue import enqueue_sample
from cratedig.samples.repository import SampleRepository
from cratedig.samples.service import progress, sample_out
from cratedig.storage.keys import avatar_key, sample_prefix
from tests.fixtures.mitm_proxy import TestCA
from tests.fixtures.tiktok_site import IMAGE_CDN, FakeCreator, TikTokMedia, post_url
from tests.pipeline.conftest import run_pipeline
from tests.pipeline.tiktok import TikTokPipeline, new_post, tiktok_pipeline


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tiktok(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    tiktok_media: TikTokMedia,
    test_ca: TestCA,
) -> Iterator[TikTokPipeline]:
    """One pipeline per database for the module; tests use distinct video ids."""
    yield from tiktok_pipeline(
        request.param, tmp_path_factory.mktemp("tiktok"), tiktok_media, test_ca
    )


def test_a_tiktok_post_becomes_a_sample_with_all_its_data(tiktok: TikTokPipeline) -> None:
    post = tiktok.world.site.add(new_post(creator=FakeCreator(username="dataful")))
    sample_id = tiktok.submit(post_url(post) + "?is_from_webapp=1&sender_device=pc")
    assert run_pipeline(sample_id) == "completed"
    storage = tiktok.runtime.storage
    prefix = sample_prefix(sample_id)
    names = {item.key[len(prefix) + 1 :] for item in storage.list(prefix + "/")}
    assert {"video.mp4", "cover.jpg", "origin_cover.jpg", "thumbnail.jpg", "audio.wav"} <= names
    assert Image.open(io.BytesIO(storage.get_bytes(f"{prefix}/cover.jpg"))).format == "JPEG"
    with tiktok.runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None and sample.status is SampleStatus.COMPLETED
        assert sample.source_id == post.video_id
        assert sample.source_url == f"https://www.tiktok.com/@dataful/video/{post.video_id}"
        assert sample.title == "Dusty lo-fi loop for your next beat"
        assert sample.tags == ["beats", "lofi", "samplepack"]
        assert (sample.view_count, sample.like_count, sample.share_count) == (1_776_621, 5120, 87)
        assert (sample.comment_count, sample.save_count) == (143, 640)
        assert (sample.sound_title, sample.sound_artist) == (
            "Golden Hour Loop",
            "Tape Deck & The Hiss",
        )
        assert (sample.sound_album, sample.sound_is_original) == ("Warm Loops Vol. 2", False)
        assert (sample.region, sample.post_type) == ("US", "video")
        assert sample.posted_at is not None and sample.posted_at.year == 2024
        assert sample.duration_seconds == pytest.approx(4.0, abs=0.1)
        out = sample_out(sample, storage)
        assert out.origin_cover_url and out.cover_url and out.error_code is None
        creator = sample.creator
        assert creator is not None
        assert (creator.username, creator.nickname) == ("dataful", "Loop Smith")
        assert (creator.source_id, creator.verified) == (FakeCreator("dataful").user_id, True)
        assert creator.sec_uid and creator.signature == "drum loops daily 🥁"
        # Exact figures (statsV2, authorStatsV2), not TikTok's rounded ones (1800000).
        assert (sample.view_count, creator.follower_count) == (1_776_621, 1_776_621)
        assert (creator.heart_count, creator.video_count) == (12_504_301, 214)
        assert creator.following_count == 31
        assert creator.last_fetched_at is not None
        creator_id = creator.id
        keys = (creator.avatar_thumb_key, creator.avatar_medium_key, creator.avatar_large_key)
    for size, pixels, key in zip(("thumb", "medium", "large"), (100, 168, 240), keys, strict=True):
        assert key == avatar_key(creator_id, size) == f"creators/{creator_id}/avatar_{size}.jpg"
        image = Image.open(io.BytesIO(storage.get_bytes(key)))
        assert (image.format, image.size) == ("JPEG", (pixels, pixels))  # WebP re-encoded


def test_every_url_form_is_one_sample(tiktok: TikTokPipeline) -> None:
    post = tiktok.world.site.add(new_post())
    vid = post.video_id
    site = tiktok.world.site
    forms = [
        f"https://m.tiktok.com/v/{vid}.html",  # first: stored without the handle until published
        f"https://www.tiktok.com/@loopsmith/video/{vid}",
        f"https://www.tiktok.com/@loopsmith/video/{vid}/?lang=en&q=1",
        f"https://tiktok.com/@loopsmith/video/{vid}",
        site.add_short_link("vm.tiktok.com", f"ZMv{vid[-6:]}", post),
        site.add_short_link("vt.tiktok.com", f"ZSt{vid[-6:]}", post),
        site.add_short_link("www.tiktok.com", f"ZTt{vid[-6:]}", post),
        site.add_lite_short_link(f"ZSl{vid[-6:]}", post),
        f"https://www.tiktok.com/share/video/{vid}",
        f"https://www.tiktok.com/@/video/{vid}",
        f"https://t.tiktok.com/i18n/share/video/{vid}/?_d=secCgYI&share_app_id=1340",
    ]
    ids = {tiktok.submit(url) for url in forms}
    assert len(ids) == 1
    sample_id = ids.pop()
    assert run_pipeline(sample_id) == "completed"
    with tiktok.runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None and sample.source_id == vid
        assert sample.source_url == f"https://www.tiktok.com/@loopsmith/video/{vid}"


def test_a_photo_post_becomes_an_audio_sample_with_its_first_image(tiktok: TikTokPipeline) -> None:
    post = new_post(photo=True)
    sample_id = tiktok.process(post)
    with tiktok.runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None and sample.status is SampleStatus.COMPLETED
        assert sample.post_type == "photo" and "/photo/" in sample.source_url
        assert sample.video_key is None and sample.mp3_key and sample.hls_key
        assert sample.cover_key and sample.origin_cover_key is None
    requested = [r.path for r in tiktok.world.proxy.requests_to(IMAGE_CDN, "/obj/photo/")]
    assert requested == [f"/obj/photo/{post.video_id}_0.jpeg"]


def test_a_creator_is_fetched_once_per_ttl(tiktok: TikTokPipeline) -> None:
    creator = FakeCreator(username="cachedcreator", stats_on_video_page=False, followers=10)
    proxy = tiktok.world.proxy
    tiktok.process(new_post(creator=creator))
    assert tiktok.world.site.page_fetches["@cachedcreator"] == 1  # counts were missing
    avatars = proxy.requests_to(IMAGE_CDN, "/tos-maliva-avt-0068/cachedcreator")
    assert len(avatars) == 3

    proxy.clear()
    creator.followers = 99
    tiktok.process(new_post(creator=creator))
    assert tiktok.world.site.page_fetches["@cachedcreator"] == 1  # fresh: no profile page
    assert not proxy.requests_to(IMAGE_CDN, "/tos-maliva-avt-0068/")
    with tiktok.runtime.transaction() as session:
        known = CreatorRepository(session).get_by_username("cachedcreator")
        assert known is not None and known.follower_count == 10
        known.last_fetched_at = utcnow() - timedelta(hours=25)

    tiktok.process(new_post(creator=creator))
    assert tiktok.world.site.page_fetches["@cachedcreator"] == 2  # stale: fetched again
    assert len(proxy.requests_to(IMAGE_CDN, "/tos-maliva-avt-0068/cachedcreator")) == 3
    with tiktok.runtime.transaction() as session:
        known = CreatorRepository(session).get_by_username("cachedcreator")
        assert known is not None and known.follower_count == 99
        assert utcnow() - known.last_fetched_at < timedelta(minutes=1)


def test_a_retry_shows_its_reason_while_pending_then_clears(tiktok: TikTokPipeline) -> None:
    tiktok.runtime.settings.fetch_retry_seconds = 1.5
    try:
        post = tiktok.world.site.add(new_post(drop_page_requests=1))
        sample_id = tiktok.submit(post_url(post))
        enqueue_sample(sample_id, 0)
        seen = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and seen is None:
            with tiktok.runtime.transaction() as session:
                sample = SampleRepository(session).get(sample_id)
                assert sample is not None
                if sample.error_code:
                    seen = (sample.status, progress(session, sample))
            time.sleep(0.05)
        assert seen is not None
        status, report = seen
        assert status is SampleStatus.PROCESSING
        assert report.error_code == "network" and report.step == "fetch_source"
        assert report.error_message and "retry 1 of 2" in report.error_message
        assert run_pipeline(sample_id) == "completed"
        with tiktok.runtime.transaction() as session:
            sample = SampleRepository(session).get(sample_id)
            assert sample is not None and sample.error_code is None
    finally:
        tiktok.runtime.settings.fetch_retry_seconds = 0.05


def test_a_renamed_creator_stays_one_creator(tiktok: TikTokPipeline) -> None:
    before = FakeCreator(username="oldhandle")
    first = tiktok.process(new_post(creator=before))
    after = FakeCreator(username="newhandle", user_id=before.user_id)
    second = tiktok.process(new_post(creator=after))
    with tiktok.runtime.transaction() as session:
        repo = SampleRepository(session)
        one, two = repo.get(first), repo.get(second)
        assert one is not None and two is not None
        assert one.creator_id == two.creator_id
        assert two.creator is not None and two.creator.username == "newhandle"
        assert CreatorRepository(session).get_by_username("oldhandle") is None


def test_a_profile_page_behind_the_bot_check_never_fails_the_sample(
    tiktok: TikTokPipeline,
) -> None:
    """The post's author data is kept; the creator stays unfetched, so the next sample of
    that creator asks for the profile page again, and gets it once TikTok lets us."""
    creator = FakeCreator(username="walled", stats_on_video_page=False, profile_bot_wall=True)
    first = tiktok.process(new_post(creator=creator))
    with tiktok.runtime.transaction() as session:
        sample = SampleRepository(session).get(first)
        assert sample is not None and sample.status is SampleStatus.COMPLETED
        assert sample.creator is not None and sample.creator.nickname == "Loop Smith"
        assert sample.creator.follower_count is None and sample.creator.last_fetched_at is None
        assert sample.creator.avatar_thumb_key  # the post's own avatar
    assert tiktok.world.site.page_fetches["@walled"] == 1  # not retried within the sample

    creator.profile_bot_wall = False
    tiktok.process(new_post(creator=creator))
    assert tiktok.world.site.page_fetches["@walled"] == 2
    with tiktok.runtime.transaction() as session:
        known = CreatorRepository(session).get_by_username("walled")
        assert known is not None and known.follower_count == 1_776_621
        assert known.last_fetched_at is not None and known.avatar_large_key


def test_a_creator_with_exact_counts_alone_needs_no_profile_page(tiktok: TikTokPipeline) -> None:
    creator = FakeCreator(username="exactonly", author_stats_blocks=("authorStatsV2",))
    tiktok.process(new_post(creator=creator, stats_blocks=("statsV2",)))
    assert "@exactonly" not in tiktok.world.site.page_fetches
    with tiktok.runtime.transaction() as session:
        known = CreatorRepository(session).get_by_username("exactonly")
        assert known is not None and known.follower_count == 1_776_621


def test_expired_cover_and_avatar_links_are_skipped_not_retried(tiktok: TikTokPipeline) -> None:
    creator = FakeCreator(username="expiredlinks", avatars_expired=True)
    post = new_post(creator=creator, cover_expired=True)
    sample_id = tiktok.process(post)
    with tiktok.runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None and sample.status is SampleStatus.COMPLETED
        assert sample.cover_key is None and sample.origin_cover_key is None
        assert sample.mp3_key and sample.creator is not None
        assert sample.creator.avatar_thumb_key is None
    covers = tiktok.world.proxy.requests_to(IMAGE_CDN, f"/tos-maliva-p-0068/{post.video_id}")
    assert len(covers) == 2  # cover and origin cover, each asked once
    assert len(tiktok.world.proxy.requests_to(IMAGE_CDN, "/tos-maliva-avt-0068/expiredlinks")) == 3
