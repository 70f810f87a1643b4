"""Media migration: a fake TikTok CDN behind the loopback TLS proxy and a loopback "legacy"
host stand in for the internet; real storage, SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from cratedig.config import Settings
from cratedig.models import Creator, Operation, OperationItem, Sample, SampleStatus
from cratedig.operations.console import RULE
from cratedig.operations.kinds.migrate_media import MigrateRequest
from cratedig.operations.library_repository import subjects_with_external_media
from cratedig.operations.media_fetch import is_tiktok_host, our_key
from cratedig.operations.repository import operation_report, record_outcomes
from cratedig.operations.states import Item, ItemState, Outcome, Subject
from cratedig.operations.texts.migrate_media import MigrateSummary
from cratedig.runtime import Runtime, current_runtime, start_runtime, stop_runtime
from cratedig.storage.keys import (
    COVER,
    ORIGIN_COVER,
    THUMBNAIL,
    VIDEO,
    avatar_key,
    sample_key,
)
from tests.fixtures.factories import make_creator, make_sample
from tests.fixtures.http_server import LoopbackServer, Route, loopback_server
from tests.fixtures.s3server import S3Server
from tests.fixtures.tiktok_site import IMAGE_CDN, VIDEO_CDN, FakePost, TikTokWorld, image_bytes
from tests.operations import plumbing
from tests.operations.conftest import add, running_runtime

BASE = "https://media.cratedig.test/library"  # our public media base URL (never resolved)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class World:
    """The runtime, the fake TikTok and the legacy host."""

    runtime: Runtime
    tiktok: TikTokWorld
    legacy: LoopbackServer

    def video_url(self, video_id: str, **post: Any) -> str:
        """A signed-looking CDN link to a post's video (the post is published on the site)."""
        self.tiktok.site.add(FakePost(video_id, **post))
        return f"https://{VIDEO_CDN}/video/{video_id}/h264/1?x-expires=1999999999"

    def legacy_url(self, path: str, body: bytes | None = None, kind: str = "image/png") -> str:
        """A URL on the legacy host; with a body, the host serves it."""
        if body is not None:
            self.legacy.routes[path] = Route(body=body, headers={"Content-Type": kind})
        return f"{self.legacy.base}{path}"

    def tiktok_requests(self) -> list[str]:
        return [f"{r.host}{r.path}" for r in self.tiktok.proxy.requests]


@pytest.fixture(params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path: Path, fake_tiktok: TikTokWorld
) -> Iterator[World]:
    """A runtime whose TikTok requests go through the fake site's proxy, and a legacy host."""
    overrides = {"tiktok_proxy": fake_tiktok.proxy.url, "public_media_base_url": BASE}
    with (
        loopback_server() as legacy,
        running_runtime(request.param, tmp_path, **overrides) as runtime,
    ):
        yield World(runtime, fake_tiktok, legacy)


def tiktok_image(name: str) -> str:
    return f"https://{IMAGE_CDN}/obj/tos-maliva-p-0068/{name}?x-expires=1999999999"


def start_migration(request: MigrateRequest, origin: str = "api") -> tuple[uuid.UUID, int]:
    """Choose and record a migration; its id and how many subjects."""
    operation_id, subjects = plumbing.start("migrate_media", request, origin)
    return operation_id, len(subjects)


def run_migration(operation_id: uuid.UUID, request: MigrateRequest, out: Any) -> MigrateSummary:
    """Run a recorded migration here (a resumed run); its summary."""
    summary: MigrateSummary = plumbing.resume(operation_id, out)
    return summary


def select_subjects(session: Any, request: MigrateRequest) -> tuple[list[Any], list[Any]]:
    """The samples and creators a migration would choose."""
    return subjects_with_external_media(session, request.limit)


def set_item(
    operation_id: uuid.UUID, subject: Subject, subject_id: uuid.UUID, state: ItemState, detail: str
) -> None:
    """Record one item's outcome, as a run does."""
    with current_runtime().transaction() as session:
        outcome = (Item(subject, subject_id), Outcome(state, detail))
        record_outcomes(session, operation_id, [outcome])


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The command's flags, on a parser of the same name."""
    return plumbing.parser_for("migrate_media", parser.prog)


def run_command(args: argparse.Namespace) -> int:
    """The command as typed."""
    return plumbing.run_command("migrate_media", args)


def migrate(request: MigrateRequest | None = None) -> tuple[MigrateSummary, list[str]]:
    """Run a migration as the command does; its summary and output lines."""
    request = request or MigrateRequest()
    lines: list[str] = []
    text = plumbing.execute("migrate_media", request, lambda line: lines.extend(line.split("\n")))
    return text.summary, lines  # as printed, line by line


def reload(runtime: Runtime, model: type[Any], subject_id: uuid.UUID) -> Any:
    with runtime.transaction() as session:
        row = session.get(model, subject_id)
        assert row is not None
        session.expunge(row)
        return row


def jpeg(runtime: Runtime, key: str) -> tuple[int, int]:
    """The stored object's picture size; it must be a JPEG."""
    with Image.open(io.BytesIO(runtime.storage.get_bytes(key))) as picture:
        assert picture.format == "JPEG"
        return picture.size


def items(runtime: Runtime, operation_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, str]]:
    with runtime.transaction() as session:
        rows = session.scalars(
            select(OperationItem).where(OperationItem.operation_id == operation_id)
        )
        return {row.subject_id: (row.state, row.detail or "") for row in rows}


def snapshot(runtime: Runtime) -> tuple[Any, ...]:
    """Every sample and creator row, and every stored object."""
    with runtime.transaction() as session:
        samples = sorted(map(tuple, session.execute(select(Sample.__table__)).all()), key=str)
        creators = sorted(map(tuple, session.execute(select(Creator.__table__)).all()), key=str)
    objects = [(o.key, o.size, o.etag) for o in runtime.storage.list()]
    return samples, creators, objects


# --- what moves where -----------------------------------------------------------------------


def test_tiktok_and_legacy_media_land_at_their_keys(world: World) -> None:
    runtime, site = world.runtime, world.tiktok.site
    creator = make_creator(
        avatar_thumb_key=tiktok_image("loopsmith_thumb.webp"),
        avatar_medium_key=world.legacy_url("/avatars/m.png", image_bytes(168, "PNG", "m")),
        avatar_large_key=tiktok_image("loopsmith_large.webp"),
    )
    on_tiktok = make_sample(
        creator=creator,
        video_key=world.video_url("7400000000000000001"),
        thumbnail_key=tiktok_image("7400000000000000001_thumb.webp"),
        cover_key=tiktok_image("7400000000000000001_cover.jpeg"),
        origin_cover_key=world.legacy_url("/covers/o.png", image_bytes(300, "PNG", "o")),
    )
    on_legacy = make_sample(
        creator=creator,
        video_key=world.legacy_url("/videos/v.mp4", site.media.video, "video/mp4"),
        cover_key=world.legacy_url("/covers/c.jpg", image_bytes(200, "JPEG", "c"), "image/jpeg"),
    )
    add(runtime, creator, on_tiktok, on_legacy)
    # Already in our storage: a plain key is left alone (object and column).
    thumb_key = sample_key(on_legacy.id, THUMBNAIL)
    runtime.storage.put_bytes(thumb_key, b"already ours")
    with runtime.transaction() as session:
        session.get(Sample, on_legacy.id).thumbnail_key = thumb_key  # type: ignore[union-attr]

    summary, lines = migrate()

    assert (summary.samples_total, summary.samples_migrated, summary.samples_failed) == (2, 2, 0)
    assert (summary.creators_total, summary.creators_migrated) == (1, 1)
    assert summary.expired_sample_ids == []
    for sample_id in (on_tiktok.id, on_legacy.id):
        sample = reload(runtime, Sample, sample_id)
        assert sample.video_key == sample_key(sample_id, VIDEO)
        assert runtime.storage.get_bytes(sample.video_key) == site.media.video
        assert sample.video_bytes == len(site.media.video)
        assert sample.cover_key == sample_key(sample_id, COVER)
        assert sample.cover_bytes == runtime.storage.head(sample.cover_key).size  # type: ignore[union-attr]
    tiktok = reload(runtime, Sample, on_tiktok.id)
    assert tiktok.thumbnail_key == sample_key(on_tiktok.id, THUMBNAIL)
    assert tiktok.origin_cover_key == sample_key(on_tiktok.id, ORIGIN_COVER)
    assert jpeg(runtime, tiktok.thumbnail_key) == (100, 100)  # was WebP
    assert jpeg(runtime, tiktok.origin_cover_key) == (300, 300)  # was PNG
    assert jpeg(runtime, sample_key(on_legacy.id, COVER)) == (200, 200)
    legacy = reload(runtime, Sample, on_legacy.id)
    assert legacy.thumbnail_key == thumb_key
    assert runtime.storage.get_bytes(thumb_key) == b"already ours"
    assert legacy.origin_cover_key is None
    avatars = reload(runtime, Creator, creator.id)
    sizes = {"thumb": (100, 100), "medium": (168, 168), "large": (240, 240)}
    for size, pixels in sizes.items():
        assert getattr(avatars, f"avatar_{size}_key") == avatar_key(creator.id, size)
        assert jpeg(runtime, avatar_key(creator.id, size)) == pixels
    # TikTok's hosts went through the TikTok client (the proxy); the legacy host directly.
    requested = world.tiktok_requests()
    assert f"{VIDEO_CDN}/video/7400000000000000001/h264/1?x-expires=1999999999" in requested
    assert len(requested) == 5 and all(world.legacy.base not in r for r in requested)
    legacy_paths = ("/avatars/m.png", "/covers/o.png", "/videos/v.mp4", "/covers/c.jpg")
    assert world.legacy.hits == dict.fromkeys(legacy_paths, 1)
    assert "  ✓ Origin cover migrated" in lines
    assert f"✓ Sample {on_tiktok.id} migrated successfully" in lines
    assert f"✓ Creator @{creator.username} migrated successfully" in lines


def test_our_own_public_url_becomes_its_key_without_a_download(world: World) -> None:
    runtime = world.runtime
    sample = make_sample()
    cover = sample_key(sample.id, COVER)
    runtime.storage.put_bytes(cover, image_bytes(64, "JPEG", "ours"))
    sample.cover_key = f"{BASE}/{cover}?v=3"
    # Ours by name, but the object is missing: external, so a download is tried and fails.
    sample.thumbnail_key = f"{BASE}/{sample_key(sample.id, THUMBNAIL)}"
    # A look-alike of the base (path prefix /library-old): not ours either.
    sample.origin_cover_key = f"https://media.cratedig.test/library-old/{cover}"
    add(runtime, sample)

    summary, lines = migrate()

    after = reload(runtime, Sample, sample.id)
    assert after.cover_key == cover
    assert after.cover_bytes == runtime.storage.head(cover).size  # type: ignore[union-attr]
    assert after.thumbnail_key == sample.thumbnail_key
    assert after.origin_cover_key == sample.origin_cover_key
    assert "  ✓ Cover migrated (our own URL; no download)" in lines
    assert "  ✗ Thumbnail failed: cannot resolve media.cratedig.test" in lines
    assert summary.samples_failed == 1
    assert world.tiktok_requests() == [] and world.legacy.hits == {}


def test_failures_keep_the_old_url_and_expired_links_are_offered(world: World) -> None:
    runtime = world.runtime
    expired = make_sample(
        video_key=world.video_url("7400000000000000002", expire_media_requests=9),
        cover_key=world.legacy_url("/covers/gone.jpg"),  # 404
        thumbnail_key="http://10.255.255.1/x.jpg",  # a private address
    )
    fine = make_sample(cover_key=tiktok_image("fine_cover.jpeg"))
    add(runtime, expired, fine)
    before = reload(runtime, Sample, expired.id)

    summary, lines = migrate()

    after = reload(runtime, Sample, expired.id)
    for column in ("video_key", "cover_key", "thumbnail_key", "video_bytes", "cover_bytes"):
        assert getattr(after, column) == getattr(before, column)
    assert runtime.storage.list(f"samples/{expired.id}") == []
    assert (summary.samples_migrated, summary.samples_failed) == (1, 1)
    assert summary.expired_sample_ids == [expired.id]
    assert "  ✗ Video expired (HTTP 403): offered for reprocessing" in lines
    assert f"  ✗ Cover failed: {world.legacy.base}/covers/gone.jpg answered HTTP 404" in lines
    assert (
        "  ✗ Thumbnail failed: 10.255.255.1 resolves to a non-public address (10.255.255.1); "
        "refused"
    ) in lines
    assert f"✗ Sample {expired.id}: 3 items failed" in lines
    command = (
        f"  python -m scripts.migrate_media_to_storage --reprocess-expired {summary.operation_id}"
    )
    assert lines[lines.index(command) + 1 :][:2] == ["Expired samples:", f"  {expired.id}"]
    assert lines[lines.index("Samples:") + 4 :][:2] == ["  Failed: 1", "  Expired: 1"]
    state, detail = items(runtime, summary.operation_id)[expired.id]
    assert state == "failed" and detail.startswith("expired: video (HTTP 403); failed: ")
    assert "thumbnail: 10.255.255.1 resolves" in detail and "cover: http" in detail
    with runtime.transaction() as session:
        report = operation_report(session, summary.operation_id)
    assert report is not None and report.status == "completed"
    assert [e.subject_id for e in report.errors] == [expired.id]
    assert "--reprocess-expired" in (report.message or "")


def test_an_expired_avatar_is_reported_for_the_creator(world: World) -> None:
    world.tiktok.site.add(FakePost("7400000000000000003", expire_media_requests=9))
    creator = make_creator(
        avatar_thumb_key=f"https://{VIDEO_CDN}/video/7400000000000000003/h264/1",
        avatar_large_key=tiktok_image("x_large.webp"),
    )
    add(world.runtime, creator)

    summary, lines = migrate()

    assert (summary.creators_failed, summary.creators_expired) == (1, 1)
    assert summary.expired_sample_ids == []
    assert "  ✗ Avatar thumb expired (HTTP 403)" in lines and "  ✓ Avatar large migrated" in lines
    after = reload(world.runtime, Creator, creator.id)
    assert after.avatar_thumb_key == creator.avatar_thumb_key
    assert after.avatar_large_key == avatar_key(creator.id, "large")


# --- deciding by the parsed host ------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "tiktok"),
    [
        ("p16-sign-va.tiktokcdn.com", True),
        ("v19-webapp.tiktokcdn-us.com", True),
        ("v16m.tiktokv.com", True),
        ("p16.muscdn.com", True),
        ("p3-sign.ibyteimg.com", True),
        ("TIKTOKCDN.COM", True),
        ("x.tiktokcdn.com.evil.org", False),
        ("eviltiktokcdn.com", False),
        ("evil.com", False),
    ],
)
def test_tiktok_hosts_are_told_by_their_domain(host: str, tiktok: bool) -> None:
    assert is_tiktok_host(host) is tiktok


@pytest.mark.parametrize(
    ("url", "key"),
    [
        (f"{BASE}/samples/a/cover.jpg", "samples/a/cover.jpg"),
        (f"{BASE}/samples/a/my%20cover.jpg?v=2", "samples/a/my cover.jpg"),
        (
            "HTTPS://Media.Cratedig.Test:443/library/creators/b/avatar_thumb.jpg",
            "creators/b/avatar_thumb.jpg",
        ),
        ("http://media.cratedig.test/library/samples/a/cover.jpg", None),  # another scheme
        ("https://media.cratedig.test:8443/library/samples/a/cover.jpg", None),  # another port
        ("https://media.cratedig.test/library-old/samples/a/cover.jpg", None),
        ("https://evil.com/library/samples/a/cover.jpg", None),
        (f"{BASE}/../etc/passwd", None),
        (f"{BASE}/", None),
    ],
)
def test_our_urls_are_told_by_scheme_host_and_path(url: str, key: str | None) -> None:
    assert our_key(url, BASE) == key
    assert our_key(url, "") is None


def test_a_tiktok_name_in_the_path_or_as_a_prefix_is_not_tiktok(world: World) -> None:
    runtime = world.runtime
    picture = image_bytes(50, "JPEG", "plain")
    in_path = make_sample(cover_key=world.legacy_url("/tiktokcdn.com/x.jpg", picture))
    port = world.legacy.base.rsplit(":", 1)[1]
    world.legacy.routes["/tiktokcdn.com/y.jpg"] = Route(body=picture)
    refused = make_sample(cover_key=f"http://localhost:{port}/tiktokcdn.com/y.jpg")
    lookalike = make_sample(cover_key="https://x.tiktokcdn.com.evil.invalid/z.jpg")
    add(runtime, in_path, refused, lookalike)

    summary, lines = migrate()

    # Downloaded through the plain path from the (allowed) loopback host...
    assert reload(runtime, Sample, in_path.id).cover_key == sample_key(in_path.id, COVER)
    assert world.legacy.hits == {"/tiktokcdn.com/x.jpg": 1}
    # ...localhost is a private address not on the allow-list: refused before any request...
    refusal = "  ✗ Cover failed: localhost resolves to a non-public address ("  # 127.0.0.1 or ::1
    assert any(line.startswith(refusal) and line.endswith("); refused") for line in lines)
    # ...and a host merely starting with a TikTok name is a plain host, not TikTok's.
    assert "  ✗ Cover failed: cannot resolve x.tiktokcdn.com.evil.invalid" in lines
    assert world.tiktok_requests() == []
    assert (summary.samples_migrated, summary.samples_failed) == (1, 2)


# --- dry run, limit, rerun, resume ----------------------------------------------------------


def test_dry_run_lists_what_would_move_and_changes_nothing(world: World) -> None:
    runtime = world.runtime
    creator = make_creator(avatar_medium_key=tiktok_image("c_medium.webp"))
    sample = make_sample(
        creator=creator,
        video_key=world.video_url("7400000000000000004"),
        cover_key=world.legacy_url("/c.png", image_bytes(20, "PNG", "c")),
    )
    add(runtime, creator, sample)
    before = snapshot(runtime)

    summary, lines = migrate(MigrateRequest(dry_run=True))

    assert snapshot(runtime) == before
    assert world.tiktok_requests() == [] and world.legacy.hits == {}
    host = world.legacy.base.split("//")[1].split(":")[0]
    assert lines[3:] == [
        "",
        "Found 1 samples to process",
        "DRY RUN: listing what would be migrated (nothing is changed)",
        f"  {sample.id}  video  {VIDEO_CDN}  (TikTok client to {sample_key(sample.id, VIDEO)})",
        f"  {sample.id}  cover  {host}  (direct download to {sample_key(sample.id, COVER)})",
        "",
        "Found 1 creators to process",
        f"  @{creator.username}  avatar medium  {IMAGE_CDN}  "
        f"(TikTok client to {avatar_key(creator.id, 'medium')})",
        "",
        "DRY RUN COMPLETE: 2 items of 1 samples and 1 items of 1 creators would be migrated "
        "(nothing changed)",
    ]
    assert summary.samples_migrated == 0 and summary.samples_total == 1
    with runtime.transaction() as session:
        operation = session.get(Operation, summary.operation_id)
        assert operation is not None and operation.dry_run and operation.status == "completed"


def test_limit_then_rerun_until_nothing_is_left(world: World) -> None:
    runtime = world.runtime
    creators = [make_creator(avatar_thumb_key=tiktok_image(f"a{n}_thumb.webp")) for n in range(3)]
    samples = [
        make_sample(creator=creators[n], cover_key=tiktok_image(f"s{n}_cover.jpeg"))
        for n in range(3)
    ]
    done_already = make_sample(cover_key="samples/x/cover.jpg")  # a plain key: never chosen
    add(runtime, *creators, *samples, done_already)

    first, _ = migrate(MigrateRequest(limit=2))
    assert (first.samples_total, first.samples_migrated) == (2, 2)
    assert (first.creators_total, first.creators_migrated) == (2, 2)
    assert reload(runtime, Sample, samples[2].id).cover_key == samples[2].cover_key

    second, _ = migrate()
    assert (second.samples_total, second.creators_total) == (1, 1)
    assert reload(runtime, Sample, samples[2].id).cover_key == sample_key(samples[2].id, COVER)

    with runtime.transaction() as session:
        assert select_subjects(session, MigrateRequest()) == ([], [])
    third, lines = migrate()
    assert (third.samples_total, third.creators_total) == (0, 0)
    assert "Found 0 samples to process" in lines and "Found 0 creators to process" in lines


class ActsWhileServing(dict[str, str]):
    """Response headers that run `act` as the server sends them: a change made in the middle
    of a download, as a concurrent reprocess or edit would make it."""

    def __init__(self, act: Callable[[], None], **headers: str) -> None:
        super().__init__(**headers)
        self.act = act

    def items(self) -> Any:
        self.act()
        return super().items()


def test_a_value_changed_during_the_download_is_left_as_it_is(world: World) -> None:
    runtime = world.runtime
    sample = make_sample()
    newer = "https://p16-sign-va.tiktokcdn.com/obj/newer_cover.jpeg"

    def change_cover() -> None:
        with runtime.transaction() as session:
            session.get(Sample, sample.id).cover_key = newer  # type: ignore[union-attr]

    picture = image_bytes(40, "JPEG", "old")
    headers = ActsWhileServing(change_cover, **{"Content-Type": "image/jpeg"})
    world.legacy.routes["/old.jpg"] = Route(body=picture, headers=headers)
    sample.cover_key = world.legacy_url("/old.jpg")
    add(runtime, sample)

    summary, lines = migrate()

    assert reload(runtime, Sample, sample.id).cover_key == newer
    assert "  - Cover changed meanwhile; left as it is" in lines
    assert summary.samples_skipped == 1
    state, detail = items(runtime, summary.operation_id)[sample.id]
    assert (state, detail) == ("skipped", "changed meanwhile: cover")


def test_a_resumed_run_handles_only_pending_items(world: World) -> None:
    runtime = world.runtime
    first, second = (make_sample(cover_key=tiktok_image(f"r{n}.jpeg")) for n in range(2))
    add(runtime, first, second)
    request = MigrateRequest()
    operation_id, count = start_migration(request, origin="cli")
    assert count == 2
    set_item(operation_id, Subject.SAMPLE, first.id, ItemState.DONE, "done before a crash")

    summary = run_migration(operation_id, request, lambda _line: None)

    assert summary.samples_total == 1
    assert reload(runtime, Sample, first.id).cover_key == first.cover_key
    assert reload(runtime, Sample, second.id).cover_key == sample_key(second.id, COVER)


# --- the command as typed -------------------------------------------------------------------


def command_env(runtime: Runtime, world: World) -> dict[str, str]:
    settings = runtime.settings
    return {
        "CRATEDIG_DATA_DIR": str(settings.data_dir),
        "CRATEDIG_DATABASE_URL": settings.database_url,
        "CRATEDIG_DBOS_SYSTEM_DATABASE_URL": settings.dbos_system_database_url,
        "CRATEDIG_STORAGE_URL": settings.storage_url,
        "CRATEDIG_ALLOWED_SOURCE_HOSTS": "127.0.0.1",
        "CRATEDIG_TIKTOK_PROXY": world.tiktok.proxy.url,
        "CRATEDIG_PUBLIC_MEDIA_BASE_URL": BASE,
    }


def test_the_command_prints_the_reference_output(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    runtime = world.runtime
    creator = make_creator(username="beatmaker", avatar_thumb_key=tiktok_image("b_thumb.webp"))
    partly = make_sample(
        creator=creator,
        video_key=world.video_url("7400000000000000005"),
        cover_key=world.legacy_url("/gone.jpg"),
    )
    expired = make_sample(video_key=world.video_url("7400000000000000006", expire_media_requests=9))
    add(runtime, creator, partly, expired)
    monkeypatch.chdir(tmp_path)
    for name, value in command_env(runtime, world).items():
        monkeypatch.setenv(name, value)
    parser = add_arguments(argparse.ArgumentParser(prog="migrate_media_to_storage"))

    assert run_command(parser.parse_args(["--limit", "5"])) == 1

    out = capsys.readouterr().out.splitlines()
    with runtime.transaction() as session:
        operation_id = session.scalars(select(Operation.id)).one()
    assert out == [
        RULE,
        "Starting media migration to our storage",
        RULE,
        "",
        "Found 2 samples to process",
        "",
        "[1/2] Processing sample...",
        f"Processing sample {partly.id} (@beatmaker)",
        f"  Migrating video for sample {partly.id}",
        "  ✓ Video migrated",
        f"  Migrating cover for sample {partly.id}",
        f"  ✗ Cover failed: {world.legacy.base}/gone.jpg answered HTTP 404",
        f"✗ Sample {partly.id}: 1 item failed",
        "",
        "[2/2] Processing sample...",
        f"Processing sample {expired.id}",  # no creator
        f"  Migrating video for sample {expired.id}",
        "  ✗ Video expired (HTTP 403): offered for reprocessing",
        f"✗ Sample {expired.id}: 1 item failed",
        "",
        "Found 1 creators to process",
        "",
        "[1/1] @beatmaker",
        "  ✓ Avatar thumb migrated",
        "✓ Creator @beatmaker migrated successfully",
        "",
        RULE,
        "MIGRATION COMPLETE",
        RULE,
        "",
        "Samples:",
        "  Total: 2",
        "  Migrated: 0",
        "  Skipped: 0",
        "  Failed: 2",
        "  Expired: 1",
        "",
        "Creators:",
        "  Total: 1",
        "  Migrated: 1",
        "  Skipped: 0",
        "  Failed: 0",
        "  Expired: 0",
        "",
        "⚠️  1 samples have expired TikTok CDN links; reprocess them to fetch fresh media:",
        f"  python -m scripts.migrate_media_to_storage --reprocess-expired {operation_id}",
        "Expired samples:",
        f"  {expired.id}",
        "",
        f"Operation: {operation_id}",
    ]
    assert reload(runtime, Sample, partly.id).video_key == sample_key(partly.id, VIDEO)

    before = snapshot(runtime)
    assert run_command(parser.parse_args(["--dry-run"])) == 0
    dry = capsys.readouterr().out
    assert f"  {partly.id}  cover  127.0.0.1  (direct download to " in dry
    assert snapshot(runtime) == before


def test_bad_flags_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    parser = add_arguments(argparse.ArgumentParser(prog="migrate_media_to_storage"))
    for argv in (["--limit", "0"], ["--limit", "x"], ["--reprocess-expired", "nope"]):
        with pytest.raises(SystemExit) as exit_:
            parser.parse_args(argv)
        assert exit_.value.code == 2
    assert "must be at least 1, not 0" in capsys.readouterr().err


def test_the_offered_command_reprocesses_the_expired_samples(
    tmp_path: Path, fake_tiktok: TikTokWorld
) -> None:
    overrides = {"tiktok_proxy": fake_tiktok.proxy.url}
    with loopback_server() as legacy, running_runtime("sqlite", tmp_path, **overrides) as runtime:
        world = World(runtime, fake_tiktok, legacy)
        expired = make_sample(
            video_key=world.video_url("7400000000000000007", expire_media_requests=9)
        )
        other = make_sample(cover_key=world.legacy_url("/gone.jpg"))
        add(runtime, expired, other)
        summary, _ = migrate()
        assert summary.expired_sample_ids == [expired.id]

        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scripts.migrate_media_to_storage",
                "--reprocess-expired",
                str(summary.operation_id),
            ],
            cwd=ROOT,
            env={**os.environ, **command_env(runtime, world)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )

        assert result.returncode == 0, result.stderr
        assert f"1 samples with expired links in migration {summary.operation_id}" in result.stdout
        assert f"  ✓ Pipeline triggered for sample {expired.id}" in result.stdout
        after = reload(runtime, Sample, expired.id)
        assert (after.generation, after.status) == (1, SampleStatus.PENDING)
        untouched = reload(runtime, Sample, other.id)
        assert (untouched.generation, untouched.status) == (0, SampleStatus.COMPLETED)


def test_on_s3_the_objects_carry_their_content_types(
    tmp_path: Path,
    fake_tiktok: TikTokWorld,
    s3_server: S3Server,
    s3_prefix: str,
    s3_client: Any,
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        dbos_system_database_url=f"sqlite:///{tmp_path / 'dbos.db'}",
        storage_url=f"s3://{s3_server.bucket}/{s3_prefix}",
        s3_endpoint=s3_server.endpoint,
        s3_region=s3_server.region,
        s3_access_key_id=s3_server.access_key_id,
        s3_secret_access_key=s3_server.secret_access_key,
        tiktok_proxy=fake_tiktok.proxy.url,
    )
    runtime = start_runtime(settings)
    try:
        with loopback_server() as legacy:
            world = World(runtime, fake_tiktok, legacy)
            creator = make_creator(avatar_large_key=tiktok_image("s3_large.webp"))
            sample = make_sample(
                creator=creator,
                video_key=world.video_url("7400000000000000008"),
                cover_key=tiktok_image("s3_cover.webp"),
            )
            add(runtime, creator, sample)
            summary, _ = migrate()
        assert (summary.samples_migrated, summary.creators_migrated) == (1, 1)
        types = {
            key: s3_client.head_object(Bucket=s3_server.bucket, Key=f"{s3_prefix}/{key}")[
                "ContentType"
            ]
            for key in (
                sample_key(sample.id, VIDEO),
                sample_key(sample.id, COVER),
                avatar_key(creator.id, "large"),
            )
        }
        assert list(types.values()) == ["video/mp4", "image/jpeg", "image/jpeg"]
        assert reload(runtime, Sample, sample.id).video_bytes == len(fake_tiktok.site.media.video)
    finally:
        stop_runtime()
