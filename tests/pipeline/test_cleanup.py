"""Which staged generations have ended: never one that may still run or publish."""

from __future__ import annotations

import uuid

import pytest

from cratedig.models import Sample, SampleStatus
from cratedig.pipeline.cleanup import ended_generations
from cratedig.storage.keys import AUDIO_MP3, generation_key, staged_generation
from tests.fixtures.factories import make_sample


def sample_at(generation: int, status: SampleStatus, published: int | None) -> Sample:
    """A sample at `generation` whose row serves generation `published`'s media (or none)."""
    sample_id = uuid.uuid4()
    mp3 = None if published is None else generation_key(sample_id, published, AUDIO_MP3)
    return make_sample(id=sample_id, generation=generation, status=status, mp3_key=mp3)


def nothing_runs(_generation: int) -> bool:
    return False


@pytest.mark.parametrize(
    ("status", "published", "ended"),
    [
        (SampleStatus.COMPLETED, 3, [0, 1, 2, 3]),  # published: everything staged is over
        (SampleStatus.FAILED, 1, [0, 1, 2, 3]),  # failed: its own staging too
        (SampleStatus.PROCESSING, 1, [0, 1, 2]),  # running: its own staging stays
        (SampleStatus.PENDING, None, [0, 1, 2]),  # queued (or about to be): stays
        # A reprocess keeping the old media until it publishes: the row is `completed` with
        # the new generation before its run begins.
        (SampleStatus.COMPLETED, 2, [0, 1, 2]),
    ],
)
def test_the_current_generation_has_ended_once_failed_or_published(
    status: SampleStatus, published: int | None, ended: list[int]
) -> None:
    sample = sample_at(3, status, published)
    assert ended_generations(sample, {0, 1, 2, 3}, nothing_runs) == ended


def test_an_older_generation_still_running_keeps_its_staging_until_a_newer_one_publishes() -> None:
    def running(generation: int) -> bool:
        return generation in {1, 3}

    processing = sample_at(3, SampleStatus.PROCESSING, 0)
    assert ended_generations(processing, {1, 2, 3}, running) == [2]
    failed = sample_at(3, SampleStatus.FAILED, 0)
    assert ended_generations(failed, {1, 2, 3}, running) == [2]
    published = sample_at(3, SampleStatus.COMPLETED, 3)
    assert ended_generations(published, {1, 2}, running) == [1, 2]


def test_a_generation_newer_than_the_row_is_never_touched() -> None:
    sample = sample_at(1, SampleStatus.COMPLETED, 1)
    assert ended_generations(sample, {1, 2}, nothing_runs) == [1]


def test_staged_keys_name_their_sample_and_generation() -> None:
    assert staged_generation("staging/abc/12/hls/segment_000.ts") == ("abc", 12)
    assert staged_generation("staging/abc/x/audio.mp3") is None
    assert staged_generation("samples/abc/g1/audio.mp3") is None
    assert staged_generation("staging/abc/1") is None
