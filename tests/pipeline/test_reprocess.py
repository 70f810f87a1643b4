"""Reprocess end to end with a worker: the operation runs on the worker, every sample gets a new
generation through the full pipeline, and the report follows it to the end."""

from __future__ import annotations

from cratedig.models import SampleStatus
from cratedig.operations.follow import follow_operation, progress_line
from cratedig.operations.kinds.reprocess import ReprocessRequest
from cratedig.operations.runner import enqueue_operation
from cratedig.runtime import Runtime
from cratedig.samples.corrections import correct
from cratedig.samples.repository import SampleRepository
from cratedig.storage.keys import render_key, sample_prefix
from tests.fixtures.http_server import LoopbackServer
from tests.fixtures.waiting import wait_until
from tests.operations.plumbing import start
from tests.pipeline.conftest import add_url_sample, run_pipeline


def test_a_reprocess_runs_every_sample_again_and_reports_it(
    runtime: Runtime, media_server: LoopbackServer
) -> None:
    ids = [add_url_sample(runtime, f"{media_server.base}/loop.mp3?take={n}") for n in range(3)]
    assert [run_pipeline(sample_id) for sample_id in ids] == ["completed"] * 3
    request = ReprocessRequest(filter_status=SampleStatus.COMPLETED, limit=2)
    operation_id, candidates = start("reprocess", request, origin="api")
    assert candidates == ids[:2]  # oldest first, limited
    enqueue_operation(operation_id)  # as the API does: the worker triggers the pipelines
    lines: list[str] = []
    report = follow_operation(operation_id, poll_seconds=0.2, timeout=120, out=lines.append)
    assert report is not None and report.status == "completed"
    assert report.pipeline is not None and report.pipeline.completed == 2
    assert lines[-1].startswith("[" + "#" * 30 + "] 2/2 completed 2")
    assert progress_line(report) == lines[-1]
    with runtime.transaction() as session:
        repo = SampleRepository(session)
        samples = [repo.get(sample_id) for sample_id in ids]
        assert [s.generation for s in samples if s] == [1, 1, 0]
        assert all(s is not None and s.status is SampleStatus.COMPLETED for s in samples)
        steps = repo.steps_for(ids[0], 1)
        assert [s.step for s in steps][-1] == "publish"
    assert runtime.storage.list(sample_prefix(ids[0]) + "/")  # republished, still there


def test_a_reprocess_keeps_a_correction_and_drops_the_old_generations_renders(
    runtime: Runtime, media_server: LoopbackServer
) -> None:
    sample_id = add_url_sample(runtime, f"{media_server.base}/loop.mp3?take=corrected")
    assert run_pipeline(sample_id) == "completed"
    with runtime.transaction() as session:
        sample = SampleRepository(session).get(sample_id)
        assert sample is not None
        analysed = sample.bpm
        correct(sample, {"bpm": 77.0, "scale": "major"})
        stale_render = render_key(sample_id, 0, "0" * 24, "wav")
    runtime.storage.put_bytes(stale_render, b"RIFF")
    operation_id, _ = start("reprocess", ReprocessRequest(limit=1), origin="api")
    enqueue_operation(operation_id)
    report = follow_operation(operation_id, poll_seconds=0.2, timeout=120, out=lambda _l: None)
    assert report is not None and report.status == "completed"
    with runtime.transaction() as session:
        again = SampleRepository(session).get(sample_id)
        assert again is not None and again.generation == 1
        assert (again.bpm, again.scale, again.corrected_bpm) == (77.0, "major", 77.0)
        assert again.analysed_bpm == analysed and again.analysed_scale is not None
        assert again.key == again.analysed_key  # not corrected: the new analysis shows
    # The old objects go after the switch that completes the sample (publish.py), so the
    # report can be read a moment before they are gone.
    wait_until(
        "the old generation's render to go", lambda: not runtime.storage.exists(stale_render), 10.0
    )
