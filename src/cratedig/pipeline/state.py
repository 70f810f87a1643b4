"""What a sample's row says about one generation: still processing, or published."""

from __future__ import annotations

from typing import TypeGuard

from cratedig.artifacts import MP3
from cratedig.models import Sample, SampleStatus
from cratedig.storage.keys import generation_key


def serves_generation(sample: Sample | None, generation: int) -> TypeGuard[Sample]:
    """Whether the row is `completed` with `generation`'s own media, i.e. its publish is done.

    The status alone cannot tell: a reprocess that keeps the old media until it publishes
    (`skip_reset`) leaves the row `completed`, with the new generation, until its run starts.
    """
    return (
        sample is not None
        and sample.generation == generation
        and sample.status is SampleStatus.COMPLETED
        and MP3.stored(sample) == generation_key(sample.id, generation, MP3.file)
    )


def is_processing(sample: Sample | None, generation: int) -> TypeGuard[Sample]:
    """Whether the row is `processing` this generation (not superseded, failed or published)."""
    return (
        sample is not None
        and sample.generation == generation
        and sample.status is SampleStatus.PROCESSING
    )
