"""The S3 server goes away mid-run (radosgw killed, later restarted on the same port): storage
steps retry with backoff, a short outage is ridden out, a long one fails the sample naming
storage and the step, nothing is half-published, and a retry finishes the work."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from dbos import DBOS, WorkflowHandle
from sqlalchemy import select

from cratedig.config import Settings
from cratedig.media.process import process_file
from cratedig.models import OperationItem, SampleStatus
from cratedig.operations.kinds.backfill_hls import BackfillRequest
from cratedig.operations.texts.reprocess import reprocess_ids
from cratedig.pipeline.queue import enqueue_sample, workflow_id
from cratedig.process_options import process_options
from cratedig.runtime import Runtime
from cratedig.storage.keys import sample_prefix, sample_staging_prefix
from tests.faults.conftest import (
    load,
    postgres_runtime,
    s3_settings,
    served_keys,
    step_attempts,
)
from tests.faults.held_source import HeldSources
from tests.faults.s3_gateway import RestartableS3
from tests.fixtures.media import make_clip
from tests.fixtures.temp_folders import job_folders
from tests.fixtures.waiting import wait_until
from tests.operations.conftest import publish_clip
from tests.operations.plumbing import resume, start
from tests.pipeline.conftest import add_url_sample, running_pipeline

CLIP_SECONDS = 3.0


def result_of(sample_id: uuid.UUID, generation: int) -> str:
    """Wait for a generation's workflow and return its result."""
    handle: WorkflowHandle[str] = DBOS.retrieve_workflow(workflow_id(sample_id, generation))
    result: str = handle.get_result(polling_interval_sec=0.1)
    return result


def retrying_on_storage(runtime: Runtime, sample_id: uuid.UUID) -> Callable[[], bool]:
    """True once the sample shows a pending storage retry."""

    def check() -> bool:
        sample = load(runtime, sample_id)
        return sample.status is SampleStatus.PROCESSING and sample.error_code == "storage"

    return check


def test_a_short_outage_during_fetch_is_retried_and_the_sample_completes(
    tmp_path: Path,
    s3: RestartableS3,
    sources: HeldSources,
    clips: dict[str, bytes],
    s3_objects: Callable[[str], set[str]],
) -> None:
    prefix = f"short-{uuid.uuid4().hex[:8]}"
    sources.files["/short.mp4"] = clips["video"]
    hold = sources.hold("/short.mp4")
    settings = s3_settings(s3, prefix) | {"fetch_attempts": 8, "fetch_retry_seconds": 0.5}
    with running_pipeline("postgresql", tmp_path, **settings) as runtime:
        sample_id = add_url_sample(runtime, sources.url("/short.mp4"))
        enqueue_sample(sample_id, 0)
        assert hold.requested.wait(60), "the pipeline never asked for the source"
        s3.stop_gateway()  # the download is in flight: its upload to staging will fail
        hold.release()
        wait_until("a storage retry to be recorded", retrying_on_storage(runtime, sample_id))
        note = load(runtime, sample_id).error_message or ""
        assert note.startswith("storage unavailable: upload ") and "retry 1 of 7 in 0.5 s" in note
        s3.start_gateway()
        assert result_of(sample_id, 0) == "completed"
        sample = load(runtime, sample_id)
        assert (sample.status, sample.error_code, sample.error_message) == (
            SampleStatus.COMPLETED,
            None,
            None,
        )
        assert step_attempts(runtime, sample_id, 0)["fetch_source"] >= 2
        stored = s3_objects(f"{prefix}/")
        assert {f"{prefix}/{key}" for key in served_keys(sample)} <= stored
        assert not any(key.startswith(f"{prefix}/staging/") for key in stored)


def test_an_outage_while_processing_is_retried_where_it_hit(
    tmp_path: Path,
    private_tmp: Path,
    s3: RestartableS3,
    sources: HeldSources,
    clips: dict[str, bytes],
    s3_objects: Callable[[str], set[str]],
) -> None:
    prefix = f"mid-{uuid.uuid4().hex[:8]}"
    sources.files["/mid.mp4"] = clips["video"]
    settings = s3_settings(s3, prefix) | {"fetch_attempts": 8, "fetch_retry_seconds": 0.5}
    with running_pipeline("postgresql", tmp_path, **settings) as runtime:
        sample_id = add_url_sample(runtime, sources.url("/mid.mp4"))
        enqueue_sample(sample_id, 0)
        # Once the source is staged the next storage call is process_audio's (store_images has
        # no cover to store for a plain URL), unless the outage comes late enough to hit publish.
        wait_until(
            "the source to be staged", lambda: (load(runtime, sample_id).step_index or 0) >= 3
        )
        s3.stop_gateway()
        wait_until("a storage retry to be recorded", retrying_on_storage(runtime, sample_id))
        hit = load(runtime, sample_id).step
        assert hit in {"process_audio", "publish"}
        s3.start_gateway()
        assert result_of(sample_id, 0) == "completed"
        assert step_attempts(runtime, sample_id, 0)[str(hit)] >= 2
        sample = load(runtime, sample_id)
        stored = s3_objects(f"{prefix}/")
        assert {f"{prefix}/{key}" for key in served_keys(sample)} <= stored
        assert not any(key.startswith(f"{prefix}/staging/") for key in stored)
        assert job_folders(private_tmp) == []  # the failed attempts' job dirs are gone


def test_a_long_outage_fails_clearly_keeps_the_old_media_and_a_retry_completes(
    tmp_path: Path,
    s3: RestartableS3,
    sources: HeldSources,
    clips: dict[str, bytes],
    s3_objects: Callable[[str], set[str]],
) -> None:
    prefix = f"long-{uuid.uuid4().hex[:8]}"
    sources.files["/long.mp3"] = clips["audio"]
    settings = s3_settings(s3, prefix) | {"fetch_attempts": 3, "fetch_retry_seconds": 0.5}
    with running_pipeline("postgresql", tmp_path, **settings) as runtime:
        sample_id = add_url_sample(runtime, sources.url("/long.mp3"))
        enqueue_sample(sample_id, 0)
        assert result_of(sample_id, 0) == "completed"
        first = load(runtime, sample_id)
        first_keys = {f"{prefix}/{key}" for key in served_keys(first)}
        first_objects = s3_objects(f"{prefix}/{sample_prefix(sample_id)}/")

        hold = sources.hold("/long.mp3")
        reprocess_ids(runtime, [sample_id], origin="test", out=lambda _line: None)
        assert hold.requested.wait(60), "the reprocess never asked for the source"
        s3.stop_gateway()
        hold.release()
        assert result_of(sample_id, 1) == "failed"
        failed = load(runtime, sample_id)
        assert (failed.status, failed.step, failed.error_code) == (
            SampleStatus.FAILED,
            "fetch_source",
            "storage",
        )
        reason = failed.error_message or ""
        assert reason.startswith("storage unavailable: upload ") and "s3://" in reason
        assert "retry 1 of" not in reason  # the pending-retry note gave way to the failure
        assert step_attempts(runtime, sample_id, 1)["fetch_source"] == 3
        assert served_keys(failed) == served_keys(first)  # still generation 0's media

        s3.start_gateway()
        assert s3_objects(f"{prefix}/{sample_prefix(sample_id)}/") == first_objects
        assert first_keys <= first_objects

        reprocess_ids(runtime, [sample_id], origin="test", out=lambda _line: None)
        assert result_of(sample_id, 2) == "completed"
        done = load(runtime, sample_id)
        assert done.status is SampleStatus.COMPLETED and done.generation == 2
        stored = s3_objects(f"{prefix}/")
        assert {f"{prefix}/{key}" for key in served_keys(done)} <= stored
        staging = f"{prefix}/{sample_staging_prefix(sample_id)}"
        assert not any(key.startswith(staging) for key in stored)


def test_staging_a_generation_left_in_an_outage_goes_at_the_next_publish(
    tmp_path: Path,
    s3: RestartableS3,
    sources: HeldSources,
    clips: dict[str, bytes],
    s3_objects: Callable[[str], set[str]],
) -> None:
    prefix = f"staged-{uuid.uuid4().hex[:8]}"
    sources.files["/staged.mp4"] = clips["video"]
    settings = s3_settings(s3, prefix) | {"fetch_attempts": 2, "fetch_retry_seconds": 0.5}
    with running_pipeline("postgresql", tmp_path, **settings) as runtime:
        sample_id = add_url_sample(runtime, sources.url("/staged.mp4"))
        enqueue_sample(sample_id, 0)
        assert result_of(sample_id, 0) == "completed"
        staging = f"{prefix}/{sample_staging_prefix(sample_id)}/"

        reprocess_ids(runtime, [sample_id], origin="test", out=lambda _line: None)

        def source_staged() -> bool:
            sample = load(runtime, sample_id)
            return sample.generation == 1 and (sample.step_index or 0) >= 3

        wait_until("generation 1's source to be staged", source_staged)
        s3.stop_gateway()  # process_audio (or publish) fails, and so does its clean-up
        assert result_of(sample_id, 1) == "failed"
        failed = load(runtime, sample_id)
        assert (failed.error_code, failed.step in {"process_audio", "publish"}) == ("storage", True)
        s3.start_gateway()
        assert s3_objects(staging), "the outage should have kept the failure from cleaning up"

        reprocess_ids(runtime, [sample_id], origin="test", out=lambda _line: None)
        assert result_of(sample_id, 2) == "completed"
        assert s3_objects(staging) == set()


@pytest.fixture(scope="module")
def processed_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One short clip processed once: the files a completed sample has in storage."""
    root = tmp_path_factory.mktemp("processed")
    clip = make_clip(root / "clip.mp3", CLIP_SECONDS)
    process_file(clip, root / "out", process_options(Settings().media))
    return root / "out"


def test_an_hls_backfill_cut_by_an_outage_is_rerun_and_finishes_the_rest(
    tmp_path: Path, s3: RestartableS3, processed_clip: Path
) -> None:
    prefix = f"backfill-{uuid.uuid4().hex[:8]}"
    with postgres_runtime(tmp_path, **s3_settings(s3, prefix)) as runtime:
        ids = [
            publish_clip(
                runtime,
                processed_clip,
                skip=("hls", "video", "thumbnail"),
                duration_seconds=CLIP_SECONDS,
            ).id
            for _ in range(3)
        ]

        def cut_after_the_first(line: str) -> None:
            if line.strip().startswith("Progress: 1 succeeded"):
                s3.stop_gateway()

        operation_id, _ = start("backfill_hls", BackfillRequest())
        first = resume(operation_id, cut_after_the_first)
        assert (first.total, first.succeeded, first.failed) == (3, 1, 2)
        states = operation_states(runtime, operation_id)
        assert sorted(state for state, _ in states.values()) == ["done", "failed", "failed"]
        assert all(
            "storage unavailable" in why for state, why in states.values() if state == "failed"
        )
        s3.start_gateway()
        done_first = {sid for sid in ids if load(runtime, sid).hls_key is not None}
        assert len(done_first) == 1
        for sample_id in set(ids) - done_first:  # no sample points at a half-uploaded stream
            assert load(runtime, sample_id).hls_key is None

        rerun_id, chosen = start("backfill_hls", BackfillRequest())
        assert set(chosen) == set(ids) - done_first
        second = resume(rerun_id)
        assert (second.total, second.succeeded, second.failed) == (2, 2, 0)
        for sample_id in ids:
            sample = load(runtime, sample_id)
            assert sample.hls_key is not None
            playlist = runtime.storage.get_bytes(sample.hls_key).decode()
            hls_dir = sample.hls_key.rsplit("/", 1)[0]
            for segment in (line for line in playlist.splitlines() if line.endswith(".ts")):
                assert runtime.storage.exists(f"{hls_dir}/{segment}")


def operation_states(runtime: Runtime, operation_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, str]]:
    """Each sample's state in an operation and why."""
    with runtime.transaction() as session:
        rows = session.scalars(
            select(OperationItem).where(OperationItem.operation_id == operation_id)
        ).all()
        return {row.subject_id: (row.state, row.detail or "") for row in rows}
