"""Operations started from the API run on a worker as a durable workflow, to their end."""

from __future__ import annotations

from pathlib import Path

from cratedig.models import Sample
from cratedig.operations.follow import follow_operation
from cratedig.operations.kinds.backfill_hls import BackfillRequest
from cratedig.operations.runner import enqueue_operation
from tests.operations.conftest import publish_clip
from tests.operations.plumbing import start
from tests.pipeline.conftest import running_pipeline


def test_a_queued_backfill_runs_on_the_worker(tmp_path: Path, processed_clip: Path) -> None:
    with running_pipeline("sqlite", tmp_path) as runtime:
        sample = publish_clip(runtime, processed_clip, skip=("hls",))
        operation_id, ids = start("backfill_hls", BackfillRequest(batch_size=2), origin="api")
        assert ids == [sample.id]
        enqueue_operation(operation_id)
        enqueue_operation(operation_id)  # a double click queues nothing twice
        report = follow_operation(operation_id, poll_seconds=0.2, timeout=60, out=lambda _: None)
        assert report is not None and report.status == "completed"
        assert (report.items.done, report.items.failed) == (1, 0)
        with runtime.transaction() as session:
            stored = session.get(Sample, sample.id)
            assert stored is not None and stored.hls_key and stored.hls_bytes
