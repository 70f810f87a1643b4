"""Re-enqueue committed samples whose enqueue was lost (a crash between commit and enqueue)."""

from __future__ import annotations

from sqlalchemy import select

from cratedig.models import Sample, SampleStatus
from cratedig.pipeline.queue import enqueue_sample
from cratedig.runtime import current_runtime


def requeue_pending(limit: int = 10_000) -> int:
    """Enqueue every `pending` sample; workflow ids make this a no-op for queued ones."""
    with current_runtime().transaction() as session:
        rows = session.execute(
            select(Sample.id, Sample.generation)
            .where(Sample.status == SampleStatus.PENDING)
            .limit(limit)
        ).all()
    for sample_id, generation in rows:
        enqueue_sample(sample_id, generation)
    return len(rows)
