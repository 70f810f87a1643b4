"""HLS backfill: real MP3s in local storage, real ffmpeg, SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cratedig.models import OperationItem, Sample, SampleStatus
from cratedig.operations.console import WIDE_RULE
from cratedig.operations.kinds.backfill_hls import NOT_MIGRATED, BackfillRequest
from cratedig.operations.repository import operation_report
from cratedig.operations.schemas import OperationOut
from cratedig.runtime import Runtime
from cratedig.storage import Storage
from cratedig.storage.keys import HLS_PLAYLIST, hls_prefix, sample_key
from tests.fixtures.media import decoded_frames, ffprobe
from tests.fixtures.temp_folders import job_folders
from tests.operations import plumbing
from tests.operations.conftest import publish_clip

CLIP_SECONDS = 6.0  # the processed_clip fixture's length


def without_hls(runtime: Runtime, processed: Path, **fields: Any) -> Sample:
    """A completed sample with every medium but its HLS stream (an older sample)."""
    return publish_clip(
        runtime, processed, skip=("hls", "video"), duration_seconds=CLIP_SECONDS, **fields
    )


def start_backfill(request: BackfillRequest) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Choose and record a backfill as the API does; its id and samples."""
    return plumbing.start("backfill_hls", request)


def run_backfill(operation_id: uuid.UUID, request: BackfillRequest, out: Any) -> Any:
    """Run a recorded backfill here; its summary."""
    return plumbing.resume(operation_id, out)


def run_command(args: argparse.Namespace) -> int:
    """The command as typed."""
    return plumbing.run_command("backfill_hls", args)


def backfill(request: BackfillRequest, out: list[str] | None = None) -> tuple[uuid.UUID, Any]:
    """Run a backfill as the command does; its id and summary."""
    sink = out.append if out is not None else (lambda _line: None)
    text = plumbing.execute("backfill_hls", request, sink)
    return text.operation_id, text.summary


def reload(runtime: Runtime, sample_id: uuid.UUID) -> Sample:
    with runtime.transaction() as session:
        sample = session.get(Sample, sample_id)
        assert sample is not None
        return sample


def report(runtime: Runtime, operation_id: uuid.UUID) -> OperationOut:
    with runtime.transaction() as session:
        found = operation_report(session, operation_id)
        assert found is not None
        return found


def item_states(runtime: Runtime, operation_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, str]]:
    with runtime.transaction() as session:
        items = session.scalars(
            select(OperationItem).where(OperationItem.operation_id == operation_id)
        )
        return {item.subject_id: (item.state, item.detail or "") for item in items}


def hls_objects(runtime: Runtime, sample_id: uuid.UUID) -> dict[str, int]:
    return {i.key: i.size for i in runtime.storage.list(hls_prefix(sample_id))}


def playlist_names(runtime: Runtime, sample_id: uuid.UUID) -> list[str]:
    text = runtime.storage.get_bytes(sample_key(sample_id, HLS_PLAYLIST)).decode()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def assert_complete_stream(runtime: Runtime, sample_id: uuid.UUID) -> None:
    """The sample points at its playlist, and storage holds exactly it and its segments."""
    sample = reload(runtime, sample_id)
    assert sample.hls_key == sample_key(sample_id, HLS_PLAYLIST)
    objects = hls_objects(runtime, sample_id)
    segments = {sample_key(sample_id, f"hls/{name}") for name in playlist_names(runtime, sample_id)}
    assert set(objects) == segments | {sample.hls_key}
    assert sample.hls_bytes == sum(objects.values())


def snapshot(runtime: Runtime) -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
    """Every sample row and every stored object, to show that nothing changed."""
    with runtime.transaction() as session:
        rows = session.scalars(select(Sample).order_by(Sample.id)).all()
        samples = [{c.key: getattr(s, c.key) for c in Sample.__mapper__.column_attrs} for s in rows]
    return samples, [(i.key, i.size) for i in runtime.storage.list()]


class Wrapped:
    """Real storage, passed through except where a test intervenes."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


class Crash(BaseException):
    """Stands for the process being killed: nothing in the operation catches it."""


class CrashAfterPuts(Wrapped):
    """Dies on the upload after `puts` successful ones."""

    def __init__(self, storage: Storage, puts: int) -> None:
        super().__init__(storage)
        self._left, self._lock = puts, threading.Lock()

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        with self._lock:
            if self._left == 0:
                raise Crash(key)
            self._left -= 1
        self._storage.put_file(key, path, content_type)


class DownloadsInPairs(Wrapped):
    """Each MP3 download waits for a second one to start: only concurrent runs get past."""

    def __init__(self, storage: Storage) -> None:
        super().__init__(storage)
        self.barrier = threading.Barrier(2, timeout=20)

    def download(self, key: str, path: Path) -> Path:
        self.barrier.wait()
        return self._storage.download(key, path)


def test_samples_with_only_an_mp3_get_a_playable_stream(
    runtime: Runtime, processed_clip: Path, private_tmp: Path, tmp_path: Path
) -> None:
    targets = [without_hls(runtime, processed_clip) for _ in range(2)]
    has_hls = publish_clip(runtime, processed_clip, skip=("video",))
    pending = without_hls(runtime, processed_clip, status=SampleStatus.PENDING)
    no_mp3 = publish_clip(runtime, processed_clip, skip=("hls", "mp3", "video"))

    operation_id, selected = start_backfill(BackfillRequest())
    assert selected == [t.id for t in targets]
    summary = run_backfill(operation_id, BackfillRequest(), lambda _line: None)

    assert (summary.total, summary.succeeded, summary.failed, summary.skipped) == (2, 2, 0, 0)
    for target in targets:
        assert_complete_stream(runtime, target.id)
    copy = tmp_path / "copy"
    for key in hls_objects(runtime, targets[0].id):
        runtime.storage.download(key, copy / Path(key).name)
    playlist = copy / "playlist.m3u8"
    assert float(ffprobe(playlist)["format"]["duration"]) == pytest.approx(CLIP_SECONDS, abs=0.1)
    assert decoded_frames(playlist) / 48000 == pytest.approx(CLIP_SECONDS, abs=0.1)
    assert reload(runtime, has_hls.id).hls_bytes == has_hls.hls_bytes
    assert reload(runtime, pending.id).hls_key is None
    assert reload(runtime, no_mp3.id).hls_key is None
    assert job_folders(private_tmp) == []  # every job cleaned its directory

    done = report(runtime, operation_id)
    assert (done.status, done.kind, done.items.done, done.items.pending) == (
        "completed",
        "backfill_hls",
        2,
        0,
    )
    assert done.message == "2 of 2 samples got HLS streams; 0 failed, 0 skipped"
    assert all(state == "done" for state, _ in item_states(runtime, operation_id).values())


def test_limit_takes_the_oldest_and_sample_id_takes_one(
    runtime: Runtime, processed_clip: Path
) -> None:
    first, second, third = (without_hls(runtime, processed_clip) for _ in range(3))

    _, limited = backfill(BackfillRequest(limit=2))
    assert limited.total == 2
    assert reload(runtime, first.id).hls_key and reload(runtime, second.id).hls_key
    assert reload(runtime, third.id).hls_key is None

    lines: list[str] = []
    operation_id, single = backfill(BackfillRequest(sample_id=third.id), lines)
    assert single.succeeded == 1
    assert set(item_states(runtime, operation_id)) == {third.id}
    assert_complete_stream(runtime, third.id)
    assert lines[:2] == ["Found 1 samples without HLS streams", "Will process up to 1 samples"]

    lines.clear()
    backfill(BackfillRequest(sample_id=third.id), lines)
    assert f"Sample {third.id} already has an HLS stream" in lines


def test_batch_size_two_processes_two_samples_at_a_time(
    runtime: Runtime, processed_clip: Path
) -> None:
    ids = [without_hls(runtime, processed_clip).id for _ in range(4)]
    paired = DownloadsInPairs(runtime.storage)
    real, runtime.storage = runtime.storage, paired  # type: ignore[assignment]
    lines: list[str] = []
    try:
        operation_id, summary = backfill(BackfillRequest(batch_size=2), lines)
    finally:
        runtime.storage = real

    # A download waits for a partner, so a sample ends well only if two ran at once.
    assert not paired.barrier.broken
    assert (summary.total, summary.succeeded, summary.failed) == (4, 4, 0)
    assert all(state == "done" for state, _ in item_states(runtime, operation_id).values())
    for sample_id in ids:
        assert_complete_stream(runtime, sample_id)
    # Each sample's lines stay together, from its header to its result.
    headers = [i for i, line in enumerate(lines) if "] Sample: " in line]
    assert len(headers) == 4
    for start in headers:
        sample_id = lines[start].rsplit(" ", 1)[1]
        end = next(i for i in range(start, len(lines)) if lines[i].startswith("  Progress: "))
        assert not any("] Sample: " in line for line in lines[start + 1 : end])
        assert lines[end - 1] == f"  ✅ Successfully processed sample {sample_id}"


def test_dry_run_lists_the_samples_and_changes_nothing(
    runtime: Runtime, processed_clip: Path
) -> None:
    samples = [without_hls(runtime, processed_clip) for _ in range(2)]
    before = snapshot(runtime)
    lines: list[str] = []

    operation_id, summary = backfill(BackfillRequest(dry_run=True), lines)

    assert snapshot(runtime) == before
    assert (summary.total, summary.succeeded) == (2, 0)
    for sample in samples:
        listed = [line for line in lines if str(sample.id) in line]
        assert len(listed) == 1
        assert sample.mp3_key and sample.mp3_key in listed[0] and "6.0s" in listed[0]
        assert f"@{sample.creator.username}" in listed[0]  # type: ignore[union-attr]
    done = report(runtime, operation_id)
    assert (done.status, done.dry_run, done.items.done, done.items.pending) == (
        "completed",
        True,
        0,
        2,
    )
    assert done.message == "dry run: 2 samples would be processed"


def test_a_second_run_finds_nothing_to_do(runtime: Runtime, processed_clip: Path) -> None:
    without_hls(runtime, processed_clip)
    backfill(BackfillRequest())
    lines: list[str] = []

    operation_id, summary = backfill(BackfillRequest(), lines)

    assert lines[0] == "Found 0 samples without HLS streams"
    assert summary.total == 0
    assert report(runtime, operation_id).message == "nothing to do"


def test_a_missing_mp3_fails_that_sample_only(runtime: Runtime, processed_clip: Path) -> None:
    first, broken, last = (without_hls(runtime, processed_clip) for _ in range(3))
    assert broken.mp3_key
    runtime.storage.delete(broken.mp3_key)

    operation_id, summary = backfill(BackfillRequest())

    assert (summary.succeeded, summary.failed) == (2, 1)
    assert_complete_stream(runtime, first.id)
    assert_complete_stream(runtime, last.id)
    assert reload(runtime, broken.id).hls_key is None
    assert hls_objects(runtime, broken.id) == {}
    done = report(runtime, operation_id)
    assert done.status == "completed" and done.items.failed == 1
    assert [(e.subject_id, e.detail) for e in done.errors] == [
        (broken.id, f"mp3 object missing from storage: {broken.mp3_key}")
    ]


def test_an_mp3_still_on_an_external_host_is_skipped(
    runtime: Runtime, processed_clip: Path
) -> None:
    external = without_hls(runtime, processed_clip)
    with runtime.transaction() as session:  # as imported from the replaced system
        row = session.get(Sample, external.id)
        assert row is not None and row.mp3_key
        runtime.storage.delete(row.mp3_key)
        row.mp3_key = "https://v16-webapp.tiktokcdn.com/a/audio.mp3"

    operation_id, summary = backfill(BackfillRequest())

    assert (summary.total, summary.skipped, summary.failed) == (1, 1, 0)
    assert item_states(runtime, operation_id) == {external.id: ("skipped", NOT_MIGRATED)}
    assert reload(runtime, external.id).hls_key is None
    assert hls_objects(runtime, external.id) == {}


def test_an_interrupted_run_leaves_no_half_stream_and_a_rerun_completes_it(
    runtime: Runtime, processed_clip: Path
) -> None:
    sample = without_hls(runtime, processed_clip)
    # An earlier, longer attempt left a segment this stream does not have.
    stale = sample_key(sample.id, "hls/segment_099.ts")
    runtime.storage.put_bytes(stale, b"left over")
    request = BackfillRequest()
    operation_id, _ = start_backfill(request)

    real, runtime.storage = runtime.storage, CrashAfterPuts(runtime.storage, puts=2)  # type: ignore[assignment]
    try:
        with pytest.raises(Crash):
            run_backfill(operation_id, request, lambda _line: None)
    finally:
        runtime.storage = real

    assert reload(runtime, sample.id).hls_key is None
    partial = set(hls_objects(runtime, sample.id))
    assert sample_key(sample.id, "hls/segment_000.ts") in partial
    assert sample_key(sample.id, HLS_PLAYLIST) not in partial  # the playlist goes last
    assert item_states(runtime, operation_id)[sample.id][0] == "pending"

    summary = run_backfill(operation_id, request, lambda _line: None)  # resume the same run

    assert (summary.total, summary.succeeded) == (1, 1)
    assert_complete_stream(runtime, sample.id)
    assert stale not in hls_objects(runtime, sample.id)
    assert report(runtime, operation_id).status == "completed"


def test_the_command_prints_the_reference_output(
    runtime: Runtime,
    processed_clip: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    samples = [without_hls(runtime, processed_clip) for _ in range(2)]
    settings = runtime.settings
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRATEDIG_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CRATEDIG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CRATEDIG_DBOS_SYSTEM_DATABASE_URL", settings.dbos_system_database_url)
    monkeypatch.setenv("CRATEDIG_STORAGE_URL", settings.storage_url)
    parser = plumbing.parser_for("backfill_hls", "backfill_hls_streams.py")

    assert run_command(parser.parse_args(["--dry-run"])) == 0
    dry = capsys.readouterr().out
    assert "Found 2 samples without HLS streams" in dry
    assert reload(runtime, samples[0].id).hls_key is None

    assert run_command(parser.parse_args(["--limit", "5"])) == 0
    out = capsys.readouterr().out.splitlines()
    first = samples[0]
    expected = [
        "Found 2 samples without HLS streams",
        "Will process up to 2 samples",
        "Processing 2 samples...",
        WIDE_RULE,
        f"[1/2] Sample: {first.id}",
        f"  Creator: @{first.creator.username}",  # type: ignore[union-attr]
        "  Duration: 6.0s",
        f"  MP3 URL: /media/{first.mp3_key}",
        f"Processing sample {first.id} - @{first.creator.username}",  # type: ignore[union-attr]
        "  Downloading MP3 from storage...",
        "  MP3 downloaded: 0.",  # MB, for a 6 s clip at 320 kbps
        "  Generating HLS stream...",
        "  Generated 3 HLS segments",
        "  Uploading 3 HLS segments...",
        "    Uploaded 3/3 segments",
        "  All segments uploaded",
        "  Uploading HLS playlist...",
        f"  Playlist uploaded: /media/samples/{first.id}/hls/playlist.m3u8",
        "  Updating database...",
        f"  ✅ Successfully processed sample {first.id}",
        "  Progress: 1 succeeded, 0 failed",
        "  Progress: 2 succeeded, 0 failed",
        "SUMMARY",
        "Total processed: 2",
        "Successful: 2",
        "Failed: 0",
    ]
    positions = [next(i for i, line in enumerate(out) if line.startswith(e)) for e in expected]
    assert positions == sorted(positions)
    for sample in samples:
        assert_complete_stream(runtime, sample.id)


def test_a_sample_whose_stream_is_gone_from_storage_gets_it_back(
    runtime: Runtime, processed_clip: Path
) -> None:
    lost = publish_clip(runtime, processed_clip, skip=("video",), duration_seconds=CLIP_SECONDS)
    kept = publish_clip(runtime, processed_clip, skip=("video",), duration_seconds=CLIP_SECONDS)
    for stored in runtime.storage.list(hls_prefix(lost.id)):
        runtime.storage.delete(stored.key)  # the column still names the playlist
    lines: list[str] = []

    operation_id, summary = backfill(BackfillRequest(), lines)

    assert lines[:2] == ["Found 1 samples without HLS streams", "Will process up to 1 samples"]
    assert (summary.total, summary.succeeded) == (1, 1)
    assert_complete_stream(runtime, lost.id)
    assert reload(runtime, kept.id).hls_bytes == kept.hls_bytes
    assert set(item_states(runtime, operation_id)) == {lost.id}
