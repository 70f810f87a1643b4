"""Re-analysis: real WAVs in local storage and S3, SQLite and PostgreSQL, the API and the
command; only the analysis fields change, the media never."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cratedig.api import create_app
from cratedig.config import Settings
from cratedig.models import Sample, SampleStatus
from cratedig.operations.console import WIDE_RULE
from cratedig.operations.kinds.reanalyze import NO_WAV, ReanalyzeRequest
from cratedig.operations.repository import operation_report
from cratedig.operations.schemas import OperationOut
from cratedig.runtime import Runtime, start_runtime, stop_runtime
from cratedig.samples.corrections import correct
from cratedig.storage.keys import sample_key
from tests.api.conftest import LOOPBACK, api_settings
from tests.fixtures.factories import make_creator, make_sample
from tests.fixtures.s3server import S3Server
from tests.operations import plumbing
from tests.operations.conftest import add, publish_clip

# What an older analyser left: a wrong tempo and key, no candidates.
STALE = {"bpm": 60.0, "bpm_confidence": 0.2, "key": "C", "scale": "major", "key_confidence": 0.3}
# What the analysis does not compute, and so must survive it.
KEPT = {"title": "keep me", "loudness_lufs": -16.2, "duration_seconds": 6.0, "view_count": 7}


def stale_sample(runtime: Runtime, processed: Path, **fields: Any) -> Sample:
    """A completed sample with all its media stored and an outdated analysis."""
    return publish_clip(runtime, processed, skip=("video",), **(STALE | KEPT | fields))


def reanalyze(request: ReanalyzeRequest, out: list[str] | None = None) -> Any:
    """The whole command (choose, record, run) with its text; the text."""
    sink = out.append if out is not None else (lambda _line: None)
    return plumbing.execute("reanalyze", request, sink)


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


def stored_media(runtime: Runtime, sample_id: uuid.UUID) -> dict[str, str]:
    """Every stored object of a sample and a digest of its bytes."""
    prefix = sample_key(sample_id, "x").rsplit("/", 1)[0] + "/"
    return {
        info.key: hashlib.sha256(runtime.storage.get_bytes(info.key)).hexdigest()
        for info in runtime.storage.list(prefix)
    }


def test_only_the_analysis_fields_change_and_the_media_never(
    runtime: Runtime, processed_clip: Path
) -> None:
    sample = stale_sample(runtime, processed_clip)
    media_before = stored_media(runtime, sample.id)
    row_before = reload(runtime, sample.id)

    lines: list[str] = []
    text = reanalyze(ReanalyzeRequest(), lines)

    after = reload(runtime, sample.id)
    assert after.bpm == pytest.approx(120, rel=0.04)
    assert (after.key, after.scale) == ("A", "minor")
    assert after.bpm_candidates and after.key_candidates
    assert after.bpm_candidates[0] == {"bpm": after.bpm, "confidence": after.bpm_confidence}
    assert after.key_candidates[0]["key"] == "A"
    for name, value in KEPT.items():
        assert getattr(after, name) == value, name
    for column in ("wav_key", "mp3_key", "hls_key", "generation", "status", "processed_at"):
        assert getattr(after, column) == getattr(row_before, column), column
    assert stored_media(runtime, sample.id) == media_before
    assert (text.summary.succeeded, text.summary.changed) == (1, 1)
    assert "  Before: 60.0 BPM, C major" in lines
    assert any(line.startswith("  After:  1") and "A minor" in line for line in lines)
    assert lines[-1] == f"Operation: {text.operation_id}"
    done = report(runtime, text.operation_id)
    assert (done.kind, done.status, done.items.done) == ("reanalyze", "completed", 1)
    assert done.message == "1 of 1 samples re-analysed (1 changed); 0 failed, 0 skipped"


def test_a_rerun_is_harmless_and_says_nothing_changed(
    runtime: Runtime, processed_clip: Path
) -> None:
    sample = stale_sample(runtime, processed_clip)
    reanalyze(ReanalyzeRequest())
    first = reload(runtime, sample.id)
    again = reanalyze(ReanalyzeRequest())
    second = reload(runtime, sample.id)
    assert (again.summary.succeeded, again.summary.changed) == (1, 0)
    assert (second.bpm, second.key, second.bpm_candidates, second.key_candidates) == (
        first.bpm,
        first.key,
        first.bpm_candidates,
        first.key_candidates,
    )


def test_dry_run_lists_the_current_readings_and_changes_nothing(
    runtime: Runtime, processed_clip: Path
) -> None:
    sample = stale_sample(runtime, processed_clip)
    lines: list[str] = []
    text = reanalyze(ReanalyzeRequest(dry_run=True), lines)
    assert lines[:2] == ["Found 1 samples with a stored WAV", "Will re-analyse up to 1 samples"]
    assert lines[2] == "\nDRY RUN: 1 samples would be re-analysed (nothing changed)"
    assert lines[3].startswith(f"[1/1] {sample.id}  @") and lines[3].endswith(
        "now: 60.0 BPM, C major"
    )
    assert (reload(runtime, sample.id).bpm, reload(runtime, sample.id).key) == (60.0, "C")
    assert report(runtime, text.operation_id).dry_run


def test_selection_limit_sample_id_and_who_has_no_wav(
    runtime: Runtime, processed_clip: Path
) -> None:
    first, second = stale_sample(runtime, processed_clip), stale_sample(runtime, processed_clip)
    no_wav = publish_clip(runtime, processed_clip, skip=("video", "wav"), **STALE)
    busy = stale_sample(runtime, processed_clip, status=SampleStatus.PROCESSING)
    external = make_sample(wav_key="https://cdn.example/a.wav", **STALE)
    add(runtime, external)

    _, chosen = plumbing.start("reanalyze", ReanalyzeRequest(limit=1))
    assert chosen == [first.id]  # oldest first; the WAV-less, external and busy never
    _, chosen = plumbing.start("reanalyze", ReanalyzeRequest(sample_id=second.id))
    assert chosen == [second.id]
    for other in (no_wav, busy):
        lines: list[str] = []
        reanalyze(ReanalyzeRequest(sample_id=other.id), lines)
        assert lines[1].startswith(f"Sample {other.id} has {NO_WAV}"), lines
        assert reload(runtime, other.id).bpm == 60.0


def test_a_missing_wav_fails_that_sample_only(runtime: Runtime, processed_clip: Path) -> None:
    broken, fine = stale_sample(runtime, processed_clip), stale_sample(runtime, processed_clip)
    runtime.storage.delete(sample_key(broken.id, "audio.wav"))
    lines: list[str] = []
    text = reanalyze(ReanalyzeRequest(), lines)
    assert (text.summary.succeeded, text.summary.failed) == (1, 1)
    assert f"  ❌ Failed: WAV missing from storage: {sample_key(broken.id, 'audio.wav')}" in lines
    assert reload(runtime, broken.id).bpm == 60.0  # left as it was
    assert reload(runtime, fine.id).bpm == pytest.approx(120, rel=0.04)
    assert "SUMMARY" in lines and WIDE_RULE in lines
    errors = report(runtime, text.operation_id).errors
    assert [(e.subject_id, e.state) for e in errors] == [(broken.id, "failed")]


def test_a_sample_reprocessed_meanwhile_is_left_to_its_pipeline(
    runtime: Runtime, processed_clip: Path
) -> None:
    sample = stale_sample(runtime, processed_clip)
    operation_id, _ = plumbing.start("reanalyze", ReanalyzeRequest())
    with runtime.transaction() as session:  # a reprocess begins before the run gets to it
        row = session.get(Sample, sample.id)
        assert row is not None
        row.generation, row.status = 1, SampleStatus.PENDING
    summary = plumbing.resume(operation_id)
    assert (summary.succeeded, summary.skipped) == (0, 1)
    assert reload(runtime, sample.id).bpm == 60.0


def test_the_api_route_and_the_command_flags(tmp_path: Path, processed_clip: Path) -> None:
    app = create_app(api_settings(tmp_path, f"sqlite:///{tmp_path / 'app.db'}"))
    with TestClient(app, client=LOOPBACK) as client:
        runtime: Runtime = app.state.runtime
        sample = stale_sample(runtime, processed_clip)
        dry = client.post("/api/v1/admin/reanalyze", json={"dry_run": True, "limit": 5})
        assert dry.status_code == 200, dry.text
        assert (dry.json()["status"], dry.json()["total_samples"]) == ("dry_run", 1)
        missing = client.post("/api/v1/admin/reanalyze", json={"sample_id": str(uuid.uuid4())})
        assert missing.status_code == 404 and missing.json()["error"]["field"] == "sample_id"
        bad = client.post("/api/v1/admin/reanalyze", json={"limit": 0, "force": True})
        assert bad.status_code == 422
        started = client.post("/api/v1/admin/reanalyze", json={"sample_id": str(sample.id)})
        assert started.json()["status"] == "started", started.text
        assert "/api/v1/admin/reanalyze" in client.get("/openapi.json").json()["paths"]
    parser = plumbing.parser_for("reanalyze", "cratedig reanalyze")
    args = parser.parse_args(["--limit", "3", "--sample-id", str(sample.id), "--dry-run"])
    assert (args.limit, args.sample_id, args.dry_run) == (3, sample.id, True)


def test_on_s3_the_wav_is_read_from_the_bucket(
    tmp_path: Path, processed_clip: Path, s3_server: S3Server, s3_prefix: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        dbos_system_database_url=f"sqlite:///{tmp_path / 'dbos.db'}",
        **s3_server.storage_settings(s3_prefix),
    )
    runtime = start_runtime(settings)
    try:
        sample = make_sample(id=uuid.uuid4(), creator=make_creator(), **STALE)
        sample.wav_key = sample_key(sample.id, "audio.wav")
        runtime.storage.put_file(sample.wav_key, processed_clip / "audio.wav")
        add(runtime, sample)
        text = reanalyze(ReanalyzeRequest())
        assert text.summary.succeeded == 1
        assert reload(runtime, sample.id).bpm == pytest.approx(120, rel=0.04)
        runtime.storage.delete(sample.wav_key)
    finally:
        stop_runtime()


def test_a_correction_stays_shown_and_the_new_reading_goes_beside_it(
    runtime: Runtime, processed_clip: Path
) -> None:
    sample = stale_sample(runtime, processed_clip)
    with runtime.transaction() as session:
        row = session.get(Sample, sample.id)
        assert row is not None
        correct(row, {"bpm": 90.0, "key": "F"})
    lines: list[str] = []
    reanalyze(ReanalyzeRequest(), lines)
    after = reload(runtime, sample.id)
    assert (after.bpm, after.key, after.corrected_bpm) == (90.0, "F", 90.0)
    assert after.scale == "minor"  # not corrected: the new reading shows
    assert after.analysed_bpm == pytest.approx(120, rel=0.04)
    assert (after.analysed_key, after.analysed_scale) == ("A", "minor")
    assert "  Before: 60.0 BPM, C major" in lines  # the analysis' reading, not the correction
