"""TikTok through the real yt-dlp and curl_cffi, against a fake TikTok behind a loopback proxy:
formats, photo posts, short links, profiles, images, and every failure reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from yt_dlp.networking import Request

from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.http import TransferLimits
from cratedig.sources.tiktok import (
    TikTokOptions,
    download_image,
    fetch_post,
    fetch_profile,
    resolve_short_link,
)
from cratedig.sources.tiktok_ytdlp import checked_youtube_dl
from cratedig.sources.urls import parse_source_url
from tests.fixtures.media import ffprobe
from tests.fixtures.tiktok_site import (
    CHAIN_COOKIE,
    CHALLENGE_COOKIE,
    IMAGE_CDN,
    LITE_SHARE_HOST,
    MUSIC_CDN,
    STATUS_AUDIT_FAILED,
    STATUS_CLASSIFIED,
    STATUS_COPYRIGHT_GEO,
    STATUS_CROSS_BORDER,
    STATUS_DELETED,
    STATUS_GEO_FENCED,
    STATUS_GONE,
    STATUS_REVIEWING,
    STATUS_SELF_SEE,
    VIDEO_CDN,
    VIDEO_CDN_US,
    FakeCreator,
    FakePost,
    TikTokWorld,
    item_struct,
    post_url,
)

VIDEO_ID = "7301234567890123456"
# A proxy on a closed loopback port: every request fails at once and nothing leaves the host.
OFFLINE = TikTokOptions(proxy="http://127.0.0.1:9", timeout_seconds=3)
LIMITS = TransferLimits(10**6, 10.0)


def _fetch(world: TikTokWorld, post: FakePost, tmp_path: Path) -> tuple[Path | None, dict]:
    world.site.add(post)
    fetched = fetch_post(post_url(post), tmp_path, world.options)
    return fetched.media, fetched.item


def test_a_video_post_downloads_the_h264_rendition_without_watermark(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    media, item = _fetch(fake_tiktok, FakePost(VIDEO_ID), tmp_path)
    assert media is not None and media.name == "source.mp4"
    streams = {s["codec_type"]: s["codec_name"] for s in ffprobe(media)["streams"]}
    assert streams == {"video": "h264", "audio": "aac"}
    assert item["id"] == VIDEO_ID and item["author"]["uniqueId"] == "loopsmith"
    fetched = [r.path.split("?")[0] for r in fake_tiktok.proxy.requests_to(VIDEO_CDN)]
    assert fetched == [f"/video/{VIDEO_ID}/h264/1"]  # never bytevc1/2, never the watermarked copy


def test_bytevc1_is_taken_when_there_is_no_h264_and_bytevc2_never(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    media, _ = _fetch(fake_tiktok, FakePost(VIDEO_ID, codecs=("bytevc2", "bytevc1")), tmp_path)
    assert media is not None
    paths = [
        r.path for r in fake_tiktok.proxy.requests if "/video/" in r.path and "@" not in r.path
    ]
    assert len(paths) == 1 and "/bytevc1/" in paths[0]


def test_with_only_bytevc2_the_watermarked_copy_is_the_last_resort(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    media, _ = _fetch(fake_tiktok, FakePost(VIDEO_ID, codecs=("bytevc2",)), tmp_path)
    assert media is not None and media.stat().st_size > 0
    fetched = [r.path.split("?")[0] for r in fake_tiktok.proxy.requests_to(VIDEO_CDN)]
    assert fetched[-1] == f"/video/{VIDEO_ID}/watermarked/1"
    assert not any("bytevc2" in path for path in fetched)


def test_a_photo_post_gives_its_sound(fake_tiktok: TikTokWorld, tmp_path: Path) -> None:
    media, item = _fetch(fake_tiktok, FakePost(VIDEO_ID, photo=True), tmp_path)
    assert media is not None and media.suffix == ".m4a"
    assert [s["codec_type"] for s in ffprobe(media)["streams"]] == ["audio"]
    assert item["imagePost"]["images"]
    assert fake_tiktok.proxy.requests_to(MUSIC_CDN)


def test_a_photo_post_without_a_sound_is_unsupported(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    with pytest.raises(SourceError) as failure:
        _fetch(fake_tiktok, FakePost(VIDEO_ID, photo=True, sound=False), tmp_path)
    assert failure.value.code is SourceErrorCode.UNSUPPORTED_POST
    assert str(failure.value).startswith("unsupported: photo post")


@pytest.mark.parametrize(
    ("post", "reason"),
    [
        (FakePost(VIDEO_ID, status_code=100004, status_msg="item doesn't exist"), "not_found"),
        (FakePost(VIDEO_ID, status_code=10216), "private"),
        (FakePost(VIDEO_ID, status_code=10222), "private"),
        (FakePost(VIDEO_ID, login_wall=True), "login_required"),
        (
            FakePost(VIDEO_ID, status_code=10231, status_msg="Not available in your region"),
            "region_blocked",
        ),
        (FakePost(VIDEO_ID, page_status=451), "region_blocked"),
        (FakePost(VIDEO_ID, status_code=10204), "ip_blocked"),
        (FakePost(VIDEO_ID).answers(STATUS_DELETED), "not_found"),
        (FakePost(VIDEO_ID).answers(STATUS_AUDIT_FAILED), "not_found"),
        (FakePost(VIDEO_ID).answers(STATUS_GONE), "not_found"),
        (FakePost(VIDEO_ID).answers(STATUS_SELF_SEE), "private"),
        (FakePost(VIDEO_ID).answers(STATUS_GEO_FENCED), "region_blocked"),
        (FakePost(VIDEO_ID).answers(STATUS_CROSS_BORDER), "region_blocked"),
        (FakePost(VIDEO_ID).answers(STATUS_COPYRIGHT_GEO), "region_blocked"),
        (FakePost(VIDEO_ID).answers(STATUS_CLASSIFIED), "login_required"),
        (FakePost(VIDEO_ID, age_restricted=True), "login_required"),
        (FakePost(VIDEO_ID).answers(STATUS_REVIEWING), "under_review"),
        (FakePost(VIDEO_ID, page_status=403), "ip_blocked"),
        (FakePost(VIDEO_ID, page_status=429), "rate_limited"),
        (FakePost(VIDEO_ID, bot_wall=True), "rate_limited"),
        (FakePost(VIDEO_ID, page_status=503), "network"),
        (FakePost(VIDEO_ID, drop_page_requests=9), "network"),
        (FakePost(VIDEO_ID, expire_media_requests=9), "media_expired"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_each_tiktok_failure_has_its_reason(
    fake_tiktok: TikTokWorld, tmp_path: Path, post: FakePost, reason: str
) -> None:
    with pytest.raises(SourceError) as failure:
        _fetch(fake_tiktok, post, tmp_path)
    assert failure.value.code.value == reason
    retried = ("rate_limited", "network", "media_expired", "under_review")
    assert failure.value.retryable is (reason in retried)
    assert "Traceback" not in str(failure.value) and len(str(failure.value)) < 400
    assert not list(tmp_path.glob("source.*"))


def test_an_age_restricted_post_needs_a_login_and_names_our_cookies_setting(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    with pytest.raises(SourceError) as failure:
        _fetch(fake_tiktok, FakePost(VIDEO_ID, age_restricted=True), tmp_path)
    message = str(failure.value)
    assert failure.value.code is SourceErrorCode.LOGIN_REQUIRED and not failure.value.retryable
    assert "Log in for access" in message and "CRATEDIG_TIKTOK_COOKIES_FILE" in message
    assert "--cookies" not in message


def test_a_missing_post_is_not_found(fake_tiktok: TikTokWorld, tmp_path: Path) -> None:
    with pytest.raises(SourceError) as failure:
        fetch_post(f"https://www.tiktok.com/@x/video/{VIDEO_ID}", tmp_path, fake_tiktok.options)
    assert failure.value.code is SourceErrorCode.NOT_FOUND


def test_an_expired_media_link_is_refetched_from_a_fresh_page(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    media, _ = _fetch(fake_tiktok, FakePost(VIDEO_ID, expire_media_requests=1), tmp_path)
    assert media is not None and media.stat().st_size > 0
    assert fake_tiktok.site.page_fetches[VIDEO_ID] == 2
    fetched = [r.path.split("?")[0] for r in fake_tiktok.proxy.requests_to(VIDEO_CDN)]
    assert fetched == [f"/video/{VIDEO_ID}/h264/1", f"/video/{VIDEO_ID}/h264/2"]


@pytest.mark.parametrize("host", ["vm.tiktok.com", "vt.tiktok.com", "www.tiktok.com"])
def test_short_links_resolve_to_the_post(fake_tiktok: TikTokWorld, host: str) -> None:
    post = fake_tiktok.site.add(FakePost(VIDEO_ID))
    link = fake_tiktok.site.add_short_link(host, "ZMh3xYz9", post)
    ref = resolve_short_link(parse_source_url(link, frozenset()), fake_tiktok.options)
    assert ref.source_id == VIDEO_ID
    assert ref.url == f"https://www.tiktok.com/@loopsmith/video/{VIDEO_ID}"
    assert [r.method for r in fake_tiktok.proxy.requests] == ["HEAD"]


def test_an_unknown_short_link_is_not_found(fake_tiktok: TikTokWorld) -> None:
    ref = parse_source_url("https://vm.tiktok.com/ZMnothing/", frozenset())
    with pytest.raises(SourceError) as failure:
        resolve_short_link(ref, fake_tiktok.options)
    assert failure.value.code is SourceErrorCode.NOT_FOUND


def test_the_profile_page_answers_the_bot_check_and_gives_exact_counts(
    fake_tiktok: TikTokWorld,
) -> None:
    fake_tiktok.site.add(FakePost(VIDEO_ID, creator=FakeCreator(followers=1_776_621)))
    user, stats = fetch_profile("@loopsmith", fake_tiktok.options)
    assert user["secUid"].startswith("MS4w") and stats["followerCount"] == "1776621"
    assert fake_tiktok.site.bot_check.served == 1  # the check came first, and was answered
    pages = fake_tiktok.proxy.requests_to("www.tiktok.com")
    assert [CHALLENGE_COOKIE in r.headers.get("cookie", "") for r in pages] == [False, True]
    with pytest.raises(SourceError) as failure:
        fetch_profile("nobody", fake_tiktok.options)
    assert failure.value.code is SourceErrorCode.NOT_FOUND
    assert "10221" in str(failure.value)


def test_a_profile_page_behind_a_bot_check_that_never_lets_go_is_retryable(
    fake_tiktok: TikTokWorld,
) -> None:
    fake_tiktok.site.add(FakePost(VIDEO_ID, creator=FakeCreator(profile_bot_wall=True)))
    with pytest.raises(SourceError) as failure:
        fetch_profile("loopsmith", fake_tiktok.options)
    assert failure.value.code is SourceErrorCode.RATE_LIMITED


def test_images_come_from_tiktok_hosts_only(fake_tiktok: TikTokWorld) -> None:
    data = download_image(
        f"https://{IMAGE_CDN}/obj/x/avatar_thumb.webp", fake_tiktok.options, 10**6
    )
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    with pytest.raises(SourceError) as failure:
        download_image("https://example.org/a.jpg", fake_tiktok.options, 10**6)
    assert failure.value.code is SourceErrorCode.HOST_NOT_ALLOWED
    assert not fake_tiktok.proxy.requests_to("example.org")
    with pytest.raises(SourceError) as too_big:
        download_image(f"https://{IMAGE_CDN}/obj/x/cover.jpeg", fake_tiktok.options, 100)
    assert too_big.value.code is SourceErrorCode.TOO_LARGE


def test_everything_works_through_a_socks_proxy(fake_tiktok: TikTokWorld, tmp_path: Path) -> None:
    fake_tiktok.site.add(FakePost(VIDEO_ID))
    options = replace(fake_tiktok.options, proxy=fake_tiktok.proxy.socks_url)
    fetched = fetch_post(f"https://www.tiktok.com/@loopsmith/video/{VIDEO_ID}", tmp_path, options)
    assert fetched.media is not None and fetched.media.stat().st_size > 0
    user, _ = fetch_profile("loopsmith", options)
    assert user["uniqueId"] == "loopsmith"


def test_cookies_file_is_sent_and_never_rewritten(fake_tiktok: TikTokWorld, tmp_path: Path) -> None:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n"
        ".tiktok.com\tTRUE\t/\tTRUE\t2145916800\tsessionid\tsecret-session\n"
    )
    before = cookies.read_bytes()
    fake_tiktok.site.add(FakePost(VIDEO_ID))
    options = replace(fake_tiktok.options, cookies_file=str(cookies))
    work = tmp_path / "work"
    work.mkdir()
    fetch_post(f"https://www.tiktok.com/@loopsmith/video/{VIDEO_ID}", work, options)
    fetch_profile("loopsmith", options)
    pages = fake_tiktok.proxy.requests_to("www.tiktok.com")
    assert len(pages) == 4  # each page: its bot check, then the page with the answer
    assert all("sessionid=secret-session" in r.headers.get("cookie", "") for r in pages)
    assert cookies.read_bytes() == before


def test_offline_is_a_clear_retryable_network_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as failure:
        fetch_post(f"https://www.tiktok.com/@a/video/{VIDEO_ID}", tmp_path, OFFLINE)
    assert failure.value.code is SourceErrorCode.NETWORK and failure.value.retryable
    ref = parse_source_url("https://vm.tiktok.com/ZMabc123/", frozenset())
    with pytest.raises(SourceError) as short:
        resolve_short_link(ref, OFFLINE)
    assert short.value.code is SourceErrorCode.NETWORK


def test_pages_are_paced(fake_tiktok: TikTokWorld, tmp_path: Path) -> None:
    calls: list[str] = []
    options = replace(fake_tiktok.options, pace=lambda: calls.append("page"))
    fake_tiktok.site.add(FakePost(VIDEO_ID))
    fetch_post(f"https://www.tiktok.com/@loopsmith/video/{VIDEO_ID}", tmp_path, options)
    fetch_profile("loopsmith", options)
    download_image(f"https://{IMAGE_CDN}/obj/x/a.jpeg", options, 10**6)
    assert calls == ["page", "page"]  # CDN images are not paced


@pytest.mark.parametrize("host", ["169.254.169.254", "127.0.0.1", "evil.example.org"])
def test_media_on_foreign_hosts_is_never_fetched(
    fake_tiktok: TikTokWorld, tmp_path: Path, host: str
) -> None:
    media, _ = _fetch(fake_tiktok, FakePost(VIDEO_ID, media_host=host), tmp_path)
    assert media is not None and media.suffix == ".m4a"  # only the sound was on TikTok's CDN
    assert not fake_tiktok.proxy.requests_to(host)
    fake_tiktok.site.add(FakePost(VIDEO_ID, media_host=host, photo=False, sound=False))
    with pytest.raises(SourceError) as failure:
        fetch_post(
            f"https://www.tiktok.com/@loopsmith/video/{VIDEO_ID}", tmp_path, fake_tiktok.options
        )
    assert failure.value.code is SourceErrorCode.UNSUPPORTED_MEDIA
    assert not fake_tiktok.proxy.requests_to(host)


OFF_TIKTOK = ["http://169.254.169.254/latest/meta-data/", "https://evil.example.org/x.mp4"]


@pytest.mark.parametrize("target", OFF_TIKTOK)
@pytest.mark.parametrize("where", ["page_redirect", "media_redirect"])
def test_a_redirect_off_tiktok_is_never_followed(
    fake_tiktok: TikTokWorld, tmp_path: Path, where: str, target: str
) -> None:
    """The post's page or its CDN redirects elsewhere: yt-dlp's hop is refused, unsent."""
    with pytest.raises(SourceError) as failure:
        _fetch(fake_tiktok, FakePost(VIDEO_ID, **{where: target}), tmp_path)
    assert failure.value.code is SourceErrorCode.HOST_NOT_ALLOWED
    assert not failure.value.retryable
    assert not fake_tiktok.proxy.requests_to(urlsplit(target).hostname or "")
    assert bool(fake_tiktok.proxy.requests_to(VIDEO_CDN)) is (where == "media_redirect")
    assert not list(tmp_path.glob("source.*"))


def test_a_media_redirect_within_tiktok_is_followed(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    moved = f"https://{VIDEO_CDN_US}/video/{VIDEO_ID}/h264/1"
    media, _ = _fetch(fake_tiktok, FakePost(VIDEO_ID, media_redirect=moved), tmp_path)
    assert media is not None and media.stat().st_size > 0
    assert [r.path for r in fake_tiktok.proxy.requests_to(VIDEO_CDN_US)] == [
        f"/video/{VIDEO_ID}/h264/1"
    ]


def test_a_post_page_answers_the_bot_check_before_its_data(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    media, item = _fetch(fake_tiktok, FakePost(VIDEO_ID), tmp_path)
    assert media is not None and item["id"] == VIDEO_ID
    pages = fake_tiktok.proxy.requests_to("www.tiktok.com")
    assert [CHALLENGE_COOKIE in r.headers.get("cookie", "") for r in pages] == [False, True]


def test_the_cdn_gets_the_pages_chain_token_and_a_referer(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    """TikTok's CDN refuses (403) a media request without both; the page sets the cookie."""
    media, _ = _fetch(fake_tiktok, FakePost(VIDEO_ID), tmp_path)
    assert media is not None
    (request,) = fake_tiktok.proxy.requests_to(VIDEO_CDN)
    assert f"{CHAIN_COOKIE}={fake_tiktok.site.chain_token}" in request.headers["cookie"]
    assert request.headers["referer"].startswith("https://www.tiktok.com/@")
    assert "signature=" in request.path and f"tk={CHAIN_COOKIE}" in request.path


def test_a_video_only_hevc_rendition_is_never_the_samples_media(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    post = FakePost(VIDEO_ID, codecs=("bytevc2", "bytevc1"), hevc_video_only=True)
    media, _ = _fetch(fake_tiktok, post, tmp_path)
    assert media is not None
    assert "audio" in [s["codec_type"] for s in ffprobe(media)["streams"]]
    fetched = [r.path for r in fake_tiktok.proxy.requests_to(VIDEO_CDN_US) if r.method == "GET"]
    assert not any(path.split("?")[0].endswith("/media-video-hvc1/") for path in fetched)


def test_a_photo_posts_mp3_sound_is_its_media(fake_tiktok: TikTokWorld, tmp_path: Path) -> None:
    media, _ = _fetch(fake_tiktok, FakePost(VIDEO_ID, photo=True, sound_mp3=True), tmp_path)
    assert media is not None and media.suffix == ".mp3"
    assert [s["codec_name"] for s in ffprobe(media)["streams"]] == ["mp3"]


def test_an_expired_cover_link_is_a_403_from_the_cdn(fake_tiktok: TikTokWorld) -> None:
    post = fake_tiktok.site.add(FakePost(VIDEO_ID, cover_expired=True))
    cover = item_struct(post, 1, 0)["video"]["cover"]
    assert ".image?" in cover and "x-expires=" in cover
    with pytest.raises(SourceError) as failure:
        download_image(cover, fake_tiktok.options, 10**6)
    assert failure.value.code is SourceErrorCode.MEDIA_EXPIRED


@pytest.mark.parametrize(
    "form",
    [
        f"https://www.tiktok.com/share/video/{VIDEO_ID}",
        f"https://www.tiktok.com/@/video/{VIDEO_ID}/",
        f"https://{LITE_SHARE_HOST}/i18n/share/video/{VIDEO_ID}/?_d=secCgYI&share_app_id=1340",
    ],
)
def test_share_forms_of_a_post_url_are_read(
    fake_tiktok: TikTokWorld, tmp_path: Path, form: str
) -> None:
    fake_tiktok.site.add(FakePost(VIDEO_ID))
    ref = parse_source_url(form, frozenset())
    assert (ref.source_id, ref.is_short_link) == (VIDEO_ID, False)
    assert ref.url == f"https://www.tiktok.com/@/video/{VIDEO_ID}"
    fetched = fetch_post(ref.url, tmp_path, fake_tiktok.options)
    assert fetched.media is not None and fetched.item["author"]["uniqueId"] == "loopsmith"


def test_a_tiktok_lite_short_link_resolves_through_its_share_page(
    fake_tiktok: TikTokWorld,
) -> None:
    post = fake_tiktok.site.add(FakePost(VIDEO_ID))
    link = fake_tiktok.site.add_lite_short_link("ZSLite01", post)
    ref = resolve_short_link(parse_source_url(link, frozenset()), fake_tiktok.options)
    assert ref.source_id == VIDEO_ID and not ref.is_short_link
    assert [r.host for r in fake_tiktok.proxy.requests] == ["vt.tiktok.com"]


def test_a_short_link_asked_by_a_crawler_goes_to_the_share_form(
    fake_tiktok: TikTokWorld, tmp_path: Path
) -> None:
    """yt-dlp asks short links as `facebookexternalhit`; TikTok then answers /share/video/."""
    post = fake_tiktok.site.add(FakePost(VIDEO_ID))
    link = fake_tiktok.site.add_short_link("vm.tiktok.com", "ZMcrawl1", post)
    with checked_youtube_dl({"quiet": True}, fake_tiktok.options, LIMITS) as ydl:
        target = ydl.urlopen(
            Request(link, headers={"User-Agent": "facebookexternalhit/1.1"}, method="HEAD")
        ).url
    assert urlsplit(target).path == f"/@loopsmith/video/{VIDEO_ID}"  # via /share/video/ID
    hops = [r.path.split("?")[0] for r in fake_tiktok.proxy.requests]
    assert hops[:2] == ["/ZMcrawl1/", f"/share/video/{VIDEO_ID}"]
