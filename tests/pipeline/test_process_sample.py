"""process_sample end to end: a loopback URL becomes a published sample, or fails cleanly."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from cratedig.artifacts import SAMPLE_ARTIFACTS
from cratedig.models import SampleStatus
from cratedig.runtime import Runtime
from cratedig.samples.documents import sample_detail_document_of_row
from cratedig.samples.reads import SampleReads
from cratedig.samples.repository import SampleRepository
from cratedig.samples.schemas import SampleDetail
from cratedig.storage.keys import sample_key, sample_prefix, staging_prefix
from tests.faults.conftest import load
from tests.fixtures.http_server import LoopbackServer
from tests.fixtures.media import ffprobe
from tests.pipeline.conftest import add_url_sample, run_pipeline

VIDEO_ARTIFACTS = {
    "video.mp4",
    "thumbnail.jpg",
    "audio.wav",
    "audio.mp3",
    "waveform.png",
    "waveform.json",
    "hls/playlist.m3u8",
}


def stored_names(runtime: Runtime, sample_id: uuid.UUID) -> set[str]:
    """Relative names of every published object of a sample."""
    prefix = sample_prefix(sample_id) + "/"
    return {item.key[len(prefix) :] for item in runtime.storage.list(prefix)}


def test_a_video_url_becomes_a_completed_sample(
    runtime: Runtime, media_server: LoopbackServer, tmp_path: Path
) -> None:
    sample_id = add_url_sample(runtime, f"{media_server.base}/clip.mp4")
    assert run_pipeline(sample_id) == "completed"
    names = stored_names(runtime, sample_id)
    assert names >= VIDEO_ARTIFACTS
    assert {n for n in names if n.startswith("hls/segment_")} == {
        f"hls/segment_{i:03d}.ts" for i in range(3)
    }
    assert runtime.storage.list(staging_prefix(sample_id, 0) + "/") == []
    mp3 = runtime.storage.download(f"{sample_prefix(sample_id)}/audio.mp3", tmp_path / "a.mp3")
    assert ffprobe(mp3)["streams"][0]["codec_name"] == "mp3"
    with runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None
        assert sample.status is SampleStatus.COMPLETED
        assert sample.title == "clip"
        assert sample.duration_seconds == pytest.approx(6.0, abs=0.05)
        assert sample.bpm == pytest.approx(120, rel=0.04)
        assert (sample.key, sample.scale) == ("A", "minor")
        assert sample.bpm_candidates and sample.key_candidates
        assert sample.bpm_candidates[0] == {"bpm": sample.bpm, "confidence": sample.bpm_confidence}
        assert sample.key_candidates[0] == {
            "key": "A",
            "scale": "minor",
            "confidence": sample.key_confidence,
        }
        assert sample.beats and sample.downbeats and set(sample.downbeats) <= set(sample.beats)
        assert sample.beats_per_bar in (3, 4) and sample.loops
        assert all(loop["start"] in sample.downbeats for loop in sample.loops)
        assert sample.mp3_bytes and sample.wav_bytes and sample.hls_bytes
        made = [a for a in SAMPLE_ARTIFACTS if a.file in VIDEO_ARTIFACTS]
        assert {a.file for a in made} == VIDEO_ARTIFACTS  # the media's names are the table's
        assert all(a.stored(sample) == sample_key(sample_id, a.file) for a in made)
        assert sample.attempts == 1 and sample.processed_at is not None
        steps = SampleRepository(session).steps_for(sample_id, 0)
        assert [s.step for s in steps] == [
            "mark_processing",
            "fetch_source",
            "store_images",
            "process_audio",
            "fetch_creator",
            "publish",
        ]
        assert all(s.finished_at is not None and s.attempts == 1 for s in steps)
    # The sample detail the API serves carries the beat grid and the loops as stored.
    with runtime.reader.connect() as reader:
        row = SampleReads(reader).detail(sample_id)
    detail = SampleDetail.model_validate(sample_detail_document_of_row(row, runtime.storage))
    assert detail.beats == sample.beats and detail.beats_per_bar == sample.beats_per_bar
    assert [loop.model_dump() for loop in detail.loops] == sample.loops


def test_an_audio_url_has_no_video_or_thumbnail(
    runtime: Runtime, media_server: LoopbackServer
) -> None:
    sample_id = add_url_sample(runtime, f"{media_server.base}/loop.mp3")
    assert run_pipeline(sample_id) == "completed"
    names = stored_names(runtime, sample_id)
    assert "video.mp4" not in names and "thumbnail.jpg" not in names
    assert {"audio.wav", "audio.mp3", "hls/playlist.m3u8"} <= names


def test_a_missing_source_fails_with_the_step_and_reason(
    runtime: Runtime, media_server: LoopbackServer
) -> None:
    sample_id = add_url_sample(runtime, f"{media_server.base}/gone.mp4")
    assert run_pipeline(sample_id) == "failed"
    with runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None
        assert (sample.status, sample.step, sample.error_code) == (
            SampleStatus.FAILED,
            "fetch_source",
            "not_found",
        )
        assert "404" in (sample.error_message or "")
    assert stored_names(runtime, sample_id) == set()


def test_a_failed_reprocess_keeps_the_working_media(
    runtime: Runtime, media_server: LoopbackServer
) -> None:
    sample_id = add_url_sample(runtime, f"{media_server.base}/clip.mp4")
    assert run_pipeline(sample_id) == "completed"
    before = stored_names(runtime, sample_id)
    with runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None
        sample.generation = 1
        sample.source_url = f"{media_server.base}/now-broken.mp4"
    assert run_pipeline(sample_id, generation=1) == "failed"
    assert stored_names(runtime, sample_id) == before
    with runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None and sample.mp3_key is not None
        assert runtime.storage.exists(sample.mp3_key)


def test_a_double_enqueue_runs_the_pipeline_once(
    runtime: Runtime, media_server: LoopbackServer
) -> None:
    sample_id = add_url_sample(runtime, f"{media_server.base}/loop.mp3")
    assert run_pipeline(sample_id) == "completed"
    assert run_pipeline(sample_id) == "completed"  # same workflow id: nothing new starts
    with runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None and sample.attempts == 1


def refuse_step_record(runtime: Runtime, event: str, when: str) -> None:
    """Make the database itself refuse an `event` (INSERT, UPDATE) on `sample_steps` whose new
    row matches `when`: a fault
    at an exact point of the pipeline, as a dropped connection at that moment would be."""
    with runtime.transaction() as session:
        if runtime.engine.dialect.name == "sqlite":
            session.execute(
                text(
                    f"CREATE TRIGGER refuse_step_record BEFORE {event} ON sample_steps "
                    f"WHEN {when} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
            return
        session.execute(
            text(
                "CREATE FUNCTION refuse_step_record() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
            )
        )
        session.execute(
            text(
                f"CREATE TRIGGER refuse_step_record BEFORE {event} ON sample_steps "
                f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION refuse_step_record()"
            )
        )


def reprocess_kept_sample(
    runtime: Runtime, server: LoopbackServer, event: str, when: str
) -> tuple[uuid.UUID, set[str], str]:
    """Publish a sample, make the database refuse one step record (see `refuse_step_record`),
    then run generation 1 with the row left `completed`, as a `skip_reset` reprocess does:
    the sample, its first generation's object names and the new run's result."""
    sample_id = add_url_sample(runtime, f"{server.base}/clip.mp4")
    assert run_pipeline(sample_id) == "completed"
    first = stored_names(runtime, sample_id)
    refuse_step_record(runtime, event, when)
    with runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None
        sample.generation = 1
    return sample_id, first, run_pipeline(sample_id, generation=1)


def test_a_failure_after_the_switch_leaves_the_generation_published(
    runtime: Runtime, media_server: LoopbackServer
) -> None:
    finish = "NEW.step = 'publish' AND NEW.finished_at IS NOT NULL"
    sample_id, first, result = reprocess_kept_sample(runtime, media_server, "UPDATE", finish)
    assert result == "completed"
    sample = load(runtime, sample_id)
    assert (sample.status, sample.error_code) == (SampleStatus.COMPLETED, None)
    with runtime.transaction() as session:
        publish = SampleRepository(session).steps_for(sample_id, 1)[-1]
        assert publish.step == "publish" and publish.finished_at is None
    served = {key for key in (sample.mp3_key, sample.wav_key, sample.hls_key) if key}
    assert len(served) == 3 and all(runtime.storage.exists(key) for key in served)
    # Only the new generation is left: the first one's objects and the staging are gone.
    assert stored_names(runtime, sample_id).isdisjoint(first)
    assert runtime.storage.list(staging_prefix(sample_id, 1) + "/") == []


def test_a_failure_before_a_kept_sample_is_reprocessed_is_recorded(
    runtime: Runtime, media_server: LoopbackServer
) -> None:
    """The row is still `completed` (with the old media) when the new run's first step fails:
    that failure is recorded, not taken for a finished publish."""
    start = "NEW.step = 'mark_processing'"
    sample_id, first, result = reprocess_kept_sample(runtime, media_server, "INSERT", start)
    assert result == "failed"
    sample = load(runtime, sample_id)
    assert (sample.status, sample.step) == (SampleStatus.FAILED, "mark_processing")
    assert "refused by the test" in (sample.error_message or "")
    assert stored_names(runtime, sample_id) == first
