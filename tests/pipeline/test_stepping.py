"""The step decorator: every step named once, numbered in run order; typed payloads."""

from __future__ import annotations

import pytest

from cratedig.pipeline import steps
from cratedig.pipeline.payloads import Job, Publication
from cratedig.pipeline.stepping import PipelineStep, pipeline_step
from cratedig.pipeline.tracking import STEPS, step_number


def test_every_step_is_numbered_in_the_order_the_workflow_runs_them() -> None:
    declared = [value for value in vars(steps).values() if isinstance(value, PipelineStep)]
    assert sorted(step.number for step in declared) == list(range(1, len(STEPS) + 1))
    assert [step.name for step in sorted(declared, key=lambda s: s.number)] == list(STEPS)
    assert all(step_number(step.name) == step.number for step in declared)


def test_released_step_names_stay() -> None:
    # DBOS resumes a workflow begun by older code by replaying its steps by name and order.
    assert STEPS == (
        "mark_processing",
        "fetch_source",
        "store_images",
        "process_audio",
        "fetch_creator",
        "publish",
    )


def test_an_unnumbered_step_refuses_to_run() -> None:
    @pipeline_step("test_unnumbered_step")
    def unnumbered(job: Job) -> int:
        return 1

    with pytest.raises(RuntimeError, match="test_unnumbered_step is not numbered"):
        unnumbered._durable(Job("00000000-0000-0000-0000-000000000001", 0))


def test_a_publication_stages_audio_images_and_the_video() -> None:
    publication = Publication(
        metadata={"source_key": "staging/1/0/source/original.mp4", "video_bytes": 10},
        images={"cover.jpg": 3},
        processed={"analysis": {"bpm": 120.0}, "sizes": {"audio.mp3": 5, "hls/segment_000.ts": 7}},
        creator_id=None,
    )
    assert publication.staged == {
        "audio.mp3": 5,
        "hls/segment_000.ts": 7,
        "cover.jpg": 3,
        "video.mp4": 10,
    }
    audio_only = Publication({"source_key": "k"}, {}, {"analysis": {}, "sizes": {}}, None)
    assert audio_only.staged == {}
