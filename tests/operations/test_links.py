"""The broken-link checker: storage objects, HLS segments and external URLs, each breakage found
with its reason; selection, the operation record, and the command as typed."""

from __future__ import annotations

import argparse
import io
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cratedig.models import Operation, Sample, SampleStatus
from cratedig.operations.kinds.check_links import CheckLinksRequest
from cratedig.operations.library_repository import sample_ids
from cratedig.operations.link_check import BrokenArtifact
from cratedig.operations.link_check import check_samples as check_with
from cratedig.operations.repository import operation_report
from cratedig.pipeline.queue import enqueue_sample, start_dbos, stop_dbos
from cratedig.runtime import Runtime, current_runtime
from cratedig.storage.keys import hls_segment_name, sample_key, sample_staging_prefix, staging_key
from tests.fixtures.factories import make_creator, make_sample
from tests.fixtures.http_server import Route, loopback_server
from tests.operations import plumbing
from tests.operations.conftest import add, publish_clip

MEDIA = b"m" * 5000  # comfortably above the 100-byte floor


# --- stand-ins for the internet ---------------------------------------------------------------


@contextmanager
def head_refusing_server(body: bytes) -> Iterator[tuple[str, list[str]]]:
    """A server answering HEAD with 405 and a ranged GET with 206; yields its base URL and the
    requests it saw ("METHOD range")."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            seen.append("HEAD")
            self.send_response(405)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            wanted = self.headers.get("Range", "")
            seen.append(f"GET {wanted}")
            part = body[:1024]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes 0-{len(part) - 1}/{len(body)}")
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            self.wfile.write(part)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    with _serving(Handler, "127.0.0.1") as base:
        yield base, seen


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler], host: str) -> Iterator[str]:
    server = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """A socket that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


# --- helpers ------------------------------------------------------------------------------------


def check_samples(
    ids: list[uuid.UUID], *, timeout: float = 10.0, progress: Any = None
) -> dict[uuid.UUID, list[BrokenArtifact]]:
    """The engine on the current runtime."""
    return check_with(current_runtime(), ids, timeout=timeout, progress=progress)


class links:  # noqa: N801 (stands for the module the kind's functions were in)
    """The link check as its callers run it."""

    @staticmethod
    def select_samples(session: Any, request: CheckLinksRequest) -> list[uuid.UUID]:
        return sample_ids(session, request.status, request.limit)

    @staticmethod
    def start_check(
        request: CheckLinksRequest, origin: str = "api"
    ) -> tuple[uuid.UUID, list[uuid.UUID]]:
        return plumbing.start("check_links", request, origin)

    @staticmethod
    def run_check(operation_id: uuid.UUID, request: CheckLinksRequest, out: Any) -> Any:
        return plumbing.resume(operation_id, out)

    @staticmethod
    def run_command(args: argparse.Namespace) -> int:
        return plumbing.run_command("check_links", args)


def external(runtime: Runtime, processed: Path, **urls: str) -> Sample:
    """A published sample whose optional media (video, covers…) are the given external URLs."""
    skip = tuple(prefix for prefix in urls if prefix in ("video", "thumbnail"))
    return publish_clip(runtime, processed, skip=skip, **{f"{p}_key": u for p, u in urls.items()})


def snapshot(runtime: Runtime) -> tuple[list[dict[str, Any]], list[tuple[str, int, str | None]]]:
    """Every sample row and every stored object (key, size, etag)."""
    with runtime.transaction() as session:
        rows = [
            {c.key: getattr(s, c.key) for c in Sample.__table__.columns}
            for s in session.scalars(select(Sample).order_by(Sample.id))
        ]
    objects = [(o.key, o.size, o.etag) for o in runtime.storage.list("samples")]
    return rows, objects


# --- what is broken, and why --------------------------------------------------------------------


def test_published_samples_are_healthy(runtime: Runtime, processed_clip: Path) -> None:
    full = publish_clip(runtime, processed_clip)
    audio_only = publish_clip(runtime, processed_clip, skip=("video", "thumbnail"))
    progress: list[tuple[int, int]] = []
    found = check_samples([full.id, audio_only.id], progress=lambda *p: progress.append(p))
    assert found == {}
    assert progress == [(1, 2), (2, 2)]


def test_each_storage_breakage_is_found_with_its_reason(
    runtime: Runtime, processed_clip: Path
) -> None:
    no_wav = publish_clip(runtime, processed_clip, skip=("wav",))
    lost_mp3 = publish_clip(runtime, processed_clip)
    lost_segment = publish_clip(runtime, processed_clip)
    lost_playlist = publish_clip(runtime, processed_clip)
    mp3 = sample_key(lost_mp3.id, "audio.mp3")
    segment = sample_key(lost_segment.id, hls_segment_name(1))
    playlist = sample_key(lost_playlist.id, "hls/playlist.m3u8")
    for key in (mp3, segment, playlist):
        assert runtime.storage.exists(key)
        runtime.storage.delete(key)
    healthy = publish_clip(runtime, processed_clip)

    found = check_samples([no_wav.id, lost_mp3.id, lost_segment.id, lost_playlist.id, healthy.id])

    assert found == {
        no_wav.id: [BrokenArtifact("wav", None, "missing")],
        lost_mp3.id: [BrokenArtifact("mp3", mp3, f"no object at {mp3}")],
        lost_segment.id: [BrokenArtifact("hls", segment, "segment_001.ts missing")],
        lost_playlist.id: [BrokenArtifact("hls", playlist, f"no object at {playlist}")],
    }


def test_external_urls_are_checked_over_http(runtime: Runtime, processed_clip: Path) -> None:
    routes = {
        "/ok.jpg": Route(body=MEDIA),
        "/tiny.jpg": Route(body=b"x" * 12),
        "/moved.jpg": Route(302, headers={"Location": "/ok.jpg"}),
        "/to-private.jpg": Route(302, headers={"Location": "http://10.255.255.1/x.jpg"}),
    }
    with loopback_server(routes) as server, head_refusing_server(MEDIA) as (no_head, seen):
        base = server.base
        healthy = external(
            runtime,
            processed_clip,
            video=f"{no_head}/clip.mp4",
            cover=f"{base}/ok.jpg",
            origin_cover=f"{base}/moved.jpg",
        )
        gone = external(runtime, processed_clip, video=f"{base}/gone.mp4")
        tiny = external(runtime, processed_clip, cover=f"{base}/tiny.jpg")
        sneaky = external(runtime, processed_clip, thumbnail=f"{base}/to-private.jpg")
        found = check_samples([healthy.id, gone.id, tiny.id, sneaky.id])
    assert found == {
        gone.id: [BrokenArtifact("video", f"{base}/gone.mp4", "HTTP 404")],
        tiny.id: [BrokenArtifact("cover", f"{base}/tiny.jpg", "too small (12 bytes)")],
        sneaky.id: [
            BrokenArtifact("thumbnail", f"{base}/to-private.jpg", "refused: private address")
        ],
    }
    assert seen == ["HEAD", "GET bytes=0-1023"]  # HEAD refused, then one ranged GET
    assert server.hits["/ok.jpg"] == 2  # directly, and through the redirect


def test_a_server_that_never_answers_times_out(runtime: Runtime, processed_clip: Path) -> None:
    with silent_server() as base:
        sample = external(runtime, processed_clip, cover=f"{base}/cover.jpg")
        found = check_samples([sample.id], timeout=0.3)
    assert found == {sample.id: [BrokenArtifact("cover", f"{base}/cover.jpg", "timed out")]}


def test_private_addresses_are_refused_without_a_request(
    runtime: Runtime, processed_clip: Path
) -> None:
    hits: list[str] = []

    class Counting(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(MEDIA)))
            self.end_headers()

        def do_GET(self) -> None:
            self.do_HEAD()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    # 127.0.0.2 is loopback too, and only 127.0.0.1 is allowed in the tests' settings.
    with _serving(Counting, "127.0.0.2") as other_loopback:
        urls = {
            "video": f"{other_loopback}/clip.mp4",
            "cover": "http://10.255.255.1/cover.jpg",
            "origin_cover": f"http://localhost:{other_loopback.rsplit(':', 1)[1]}/c.jpg",
        }
        sample = external(runtime, processed_clip, **urls)
        found = check_samples([sample.id], timeout=5)
    refused = "refused: private address"
    assert found == {sample.id: [BrokenArtifact(p, u, refused) for p, u in urls.items()]}
    assert hits == []


def test_a_name_that_rebinds_to_loopback_is_refused_at_the_connection(
    runtime: Runtime, processed_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])  # public for the hop check, loopback for the connection

    def rebinding(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if host != "rebind.example":
            return real(host, port, *args, **kw)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with head_refusing_server(MEDIA) as (base, _seen):
        url = f"http://rebind.example:{base.rsplit(':', 1)[1]}/cover.jpg"
        sample = external(runtime, processed_clip, cover=url)
        found = check_samples([sample.id], timeout=5)
    assert found == {sample.id: [BrokenArtifact("cover", url, "refused: private address")]}


def test_a_storage_key_that_is_not_a_key_is_broken(runtime: Runtime, processed_clip: Path) -> None:
    sample = publish_clip(runtime, processed_clip, skip=("thumbnail",), thumbnail_key="../x.jpg")
    found = check_samples([sample.id])
    assert found == {sample.id: [BrokenArtifact("thumbnail", "../x.jpg", "invalid key '../x.jpg'")]}


# --- selection, side effects, the operation -----------------------------------------------------


def test_status_and_limit_choose_the_oldest_first(runtime: Runtime) -> None:
    first, second = make_sample(), make_sample(status=SampleStatus.FAILED)
    third, fourth = make_sample(), make_sample(status=SampleStatus.FAILED)
    add(runtime, first, second, third, fourth)
    with runtime.transaction() as session:
        assert links.select_samples(session, CheckLinksRequest()) == [
            first.id,
            second.id,
            third.id,
            fourth.id,
        ]
        failed = CheckLinksRequest(status=SampleStatus.FAILED)
        assert links.select_samples(session, failed) == [second.id, fourth.id]
        completed_one = CheckLinksRequest(status=SampleStatus.COMPLETED, limit=1)
        assert links.select_samples(session, completed_one) == [first.id]
        assert links.select_samples(session, CheckLinksRequest(limit=3)) == [
            first.id,
            second.id,
            third.id,
        ]


def test_the_operation_records_each_sample_and_changes_nothing(
    runtime: Runtime, processed_clip: Path
) -> None:
    healthy = publish_clip(runtime, processed_clip)
    broken = publish_clip(runtime, processed_clip, skip=("mp3",))
    runtime.storage.delete(sample_key(broken.id, "waveform.png"))
    pending = make_sample(status=SampleStatus.PENDING)  # nothing made yet: all required missing
    add(runtime, pending)
    before = snapshot(runtime)

    request = CheckLinksRequest(status=SampleStatus.COMPLETED)
    operation_id, ids = links.start_check(request, origin="cli")
    lines: list[str] = []
    summary = links.run_check(operation_id, request, out=lines.append)

    assert ids == [healthy.id, broken.id]
    assert (summary.checked, summary.healthy, summary.broken) == (2, 1, 1)
    assert (summary.broken_artifacts, summary.repaired) == (2, 0)
    assert snapshot(runtime) == before
    with runtime.transaction() as session:
        report = operation_report(session, operation_id)
    assert report is not None and report.status == "completed" and report.kind == "check_links"
    assert report.params == {"status": "completed", "limit": None, "repair": False}
    assert (report.items.total, report.items.done, report.items.failed) == (2, 1, 1)
    png = sample_key(broken.id, "waveform.png")
    assert [(e.subject_id, e.detail) for e in report.errors] == [
        (broken.id, f"mp3: missing; waveform_png: no object at {png}")
    ]
    assert report.message == "1 of 2 samples broken"
    # A rerun of the finished operation has nothing pending left.
    again = links.run_check(operation_id, request, out=lines.append)
    assert again.checked == 0


def test_a_sample_deleted_before_its_check_is_skipped(runtime: Runtime) -> None:
    sample = make_sample()
    add(runtime, sample)
    operation_id, _ = links.start_check(CheckLinksRequest())
    with runtime.transaction() as session:
        session.delete(session.get(Sample, sample.id))
    summary = links.run_check(operation_id, CheckLinksRequest(), out=lambda _: None)
    assert summary.checked == 0
    with runtime.transaction() as session:
        report = operation_report(session, operation_id)
    assert report is not None and report.items.skipped == 1


# --- the command as typed -------------------------------------------------------------------


def command(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    """`cratedig check-links ARGV` with the runtime's settings in the environment."""
    settings = runtime.settings
    for name, value in {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "DBOS_SYSTEM_DATABASE_URL": settings.dbos_system_database_url,
        "STORAGE_URL": settings.storage_url,
        "ALLOWED_SOURCE_HOSTS": "127.0.0.1",
    }.items():
        monkeypatch.setenv(f"CRATEDIG_{name}", value)
    parser = plumbing.parser_for("check_links", "cratedig check-links")
    return links.run_command(parser.parse_args(list(argv)))


def test_the_command_reports_broken_samples_and_fails(
    runtime: Runtime, processed_clip: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    creator = make_creator(username="beatsmith")
    healthy = publish_clip(runtime, processed_clip, creator=creator)
    broken = publish_clip(runtime, processed_clip, creator=creator)
    mp3 = sample_key(broken.id, "audio.mp3")
    runtime.storage.delete(mp3)
    failed = make_sample(status=SampleStatus.FAILED)
    add(runtime, failed)

    code = command(runtime, monkeypatch, "--status", "completed", "--limit", "5")

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert code == 1
    assert lines[:3] == ["=" * 60, "Checking sample media links", "=" * 60]
    assert "Checking 2 samples..." in lines
    assert "  checked 1/2 (0 broken)" in lines or "  checked 1/2 (1 broken)" in lines
    assert "  checked 2/2 (1 broken)" in lines
    block = lines.index(f"✗ {broken.id} @beatsmith completed")
    assert lines[block + 1] == f"    mp3: no object at {mp3}"
    assert str(healthy.id) not in out and str(failed.id) not in out
    summary = lines[lines.index("LINK CHECK COMPLETE") :]
    for line in ("Checked: 2", "Healthy: 1", "Broken: 1", "Broken artifacts: 1"):
        assert line in summary
    assert not any(line.startswith("Reprocess triggered") for line in summary)


def test_the_command_passes_on_a_healthy_library(
    runtime: Runtime, processed_clip: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    publish_clip(runtime, processed_clip)
    assert command(runtime, monkeypatch) == 0
    out = capsys.readouterr().out
    assert "Checked: 1" in out and "Broken: 0" in out


def test_the_command_rejects_a_bad_status(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    with pytest.raises(SystemExit) as exited:
        command(runtime, monkeypatch, "--status", "archived")
    assert exited.value.code == 2
    assert "invalid choice: 'archived'" in capsys.readouterr().err


def test_repair_reprocesses_only_the_broken(
    runtime: Runtime, processed_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy = publish_clip(runtime, processed_clip)
    broken = publish_clip(runtime, processed_clip, skip=("waveform_json",))

    # Not capsys: DBOS's first start binds its log handler to the sys.stderr of that moment,
    # which capsys closes after the test (a later DBOS start in this process would then fail).
    with redirect_stdout(io.StringIO()) as printed:
        code = command(runtime, monkeypatch, "--repair")

    out = printed.getvalue()
    assert code == 0  # everything broken is queued for repair
    assert f"✗ {broken.id}" in out and "    waveform_json: missing" in out
    assert f"  ✓ Pipeline triggered for sample {broken.id}" in out
    assert "Reprocess triggered: 1" in out
    with runtime.transaction() as session:
        states = {s.id: (s.generation, s.status) for s in session.scalars(select(Sample))}
    assert states == {
        healthy.id: (0, SampleStatus.COMPLETED),
        broken.id: (1, SampleStatus.PENDING),
    }


def test_a_uuid_that_is_no_sample_is_not_reported(runtime: Runtime) -> None:
    assert check_samples([uuid.uuid4()]) == {}


def test_failed_submissions_without_media_are_counted_apart_and_never_repaired(
    runtime: Runtime, processed_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy = publish_clip(runtime, processed_clip)
    never = make_sample(status=SampleStatus.FAILED, error_code="private")  # no media at all
    add(runtime, never)

    with redirect_stdout(io.StringIO()) as printed:
        code = command(runtime, monkeypatch, "--repair")

    out = printed.getvalue().splitlines()
    assert code == 0  # nothing broken: the failed submission is on the dashboard, not here
    summary = out[out.index("LINK CHECK COMPLETE") :]
    for line in ("Checked: 2", "Healthy: 1", "Broken: 0", "Reprocess triggered: 0"):
        assert line in summary
    assert "Never had media (failed before any was stored): 1" in summary
    assert not any("Pipeline triggered" in line for line in out)
    with runtime.transaction() as session:
        states = {s.id: (s.generation, s.status) for s in session.scalars(select(Sample))}
        report = operation_report(session, session.scalars(select(Operation.id)).one())
    assert states[never.id] == (0, SampleStatus.FAILED) and states[healthy.id][0] == 0
    assert report is not None and (report.items.done, report.items.skipped) == (1, 1)
    assert report.message == "0 of 2 samples broken; 1 never had media; reprocess triggered for 0"


def test_repair_removes_staging_of_ended_generations_only(
    runtime: Runtime, processed_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Published, but its publish's clean-up was cut by an outage: its own staging is left.
    published = publish_clip(runtime, processed_clip)
    # Generation 1 failed in an outage that also kept it from removing its staging.
    failed = publish_clip(runtime, processed_clip, generation=1, status=SampleStatus.FAILED)
    # Generation 2 runs now (as does 1, superseded but not done yet); 0 is long over.
    running = publish_clip(runtime, processed_clip, generation=2, status=SampleStatus.PROCESSING)
    staged = {
        published.id: {0},
        failed.id: {0, 1},
        running.id: {0, 1, 2},
    }
    for sample_id, generations in staged.items():
        for generation in generations:
            runtime.storage.put_bytes(staging_key(sample_id, generation, "audio.mp3"), MEDIA)
    start_dbos(runtime.settings, worker=False)  # queued, and no worker here takes them
    try:
        enqueue_sample(running.id, 1)
        enqueue_sample(running.id, 2)
    finally:
        stop_dbos()

    with redirect_stdout(io.StringIO()):
        assert command(runtime, monkeypatch, "--repair") == 0

    def left(sample_id: uuid.UUID) -> set[str]:
        return {i.key for i in runtime.storage.list(sample_staging_prefix(sample_id) + "/")}

    assert left(published.id) == left(failed.id) == set()
    assert left(running.id) == {staging_key(running.id, g, "audio.mp3") for g in (1, 2)}
