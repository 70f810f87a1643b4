"""Reprocess samples through the full pipeline: give each a new generation and queue its run.

The run stages everything afresh and publishes only when all of it is ready, so the working
media stay served (and the sample listed) until then.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pydantic import Field, StrictBool, StrictInt
from sqlalchemy.orm import Session

from cratedig.models import SampleStatus
from cratedig.operations.framework import Kind, RunResult, Work
from cratedig.operations.library_repository import (
    SampleLine,
    bump_generations,
    sample_lines,
    walk_samples,
)
from cratedig.operations.link_check import check_samples
from cratedig.operations.repository import item_generations, set_item_generations
from cratedig.operations.schemas import OperationRequest
from cratedig.operations.states import Item, ItemState, Outcome, Selection, Subject
from cratedig.pipeline.queue import active_sample_workflows, enqueue_samples, workflow_id
from cratedig.runtime import Runtime

log = logging.getLogger(__name__)
CHUNK = 500  # samples given a generation per transaction, then queued together


class ReprocessRequest(OperationRequest):
    """The reference's request body; every field optional (`{}` means all samples)."""

    filter_status: SampleStatus | None = Field(None, description="only samples in this status")
    limit: StrictInt | None = Field(None, ge=1, le=1_000_000, description="at most N samples")
    skip_reset: StrictBool = Field(
        False, description="don't reset the status to pending (advanced)"
    )
    broken_links_only: StrictBool = Field(
        False, description="only samples with broken/missing media"
    )


@dataclass(frozen=True)
class Triggered:
    """A queued sample as it was before: what the reference prints about it."""

    source_url: str
    creator: str | None
    previous_status: str
    reset: bool


class Reprocess(Kind[ReprocessRequest]):
    """Reprocess samples through the full pipeline."""

    name = "reprocess"
    path = "/samples/reprocess"
    summary = "reprocess samples through the full pipeline"
    request_model = ReprocessRequest
    flags = {"filter_status": "--status"}  # noqa: RUF012 (read only)
    phrase = "reprocessing"

    def select(
        self,
        runtime: Runtime,
        session: Session,
        request: ReprocessRequest,
        only: Sequence[uuid.UUID],
    ) -> Selection:
        """Samples oldest first, passing over those without a source URL or with a pipeline
        queued or running; the limit counts chosen samples only."""
        active = active_sample_workflows()
        selection = Selection()
        chosen: list[SampleLine] = []
        for line in walk_samples(session, request.filter_status, only):
            if not line.source_url:
                selection.skipped.append((line.id, "no source URL"))
            elif workflow_id(line.id, line.generation) in active:
                selection.skipped.append((line.id, "already queued or processing"))
            else:
                chosen.append(line)
                if not request.broken_links_only and len(chosen) == request.limit:
                    break
        selection.items = [
            Item(Subject.SAMPLE, line.id, f"status {line.status.value}") for line in chosen
        ]
        return selection

    def refine(
        self, runtime: Runtime, request: ReprocessRequest, selection: Selection
    ) -> Selection:
        """With `broken_links_only`: keep the samples the link check finds broken (up to the
        limit), each with what is broken."""
        if not request.broken_links_only:
            return selection
        broken = check_samples(runtime, [item.id for item in selection.items])
        kept = [item for item in selection.items if item.id in broken][: request.limit]
        selection.items = [
            Item(
                item.subject,
                item.id,
                "; ".join(f"{b.artifact}: {b.reason}" for b in broken[item.id]),
            )
            for item in kept
        ]
        return selection

    def preview(self, work: Work, item: Item) -> Outcome:
        """The sample as it is now, and why it was chosen."""
        with work.transaction() as session:
            line = sample_lines(session, [item.id]).get(item.id)
        return Outcome(ItemState.PENDING, item.reason, line)

    def handle_all(self, work: Work, items: Sequence[Item]) -> Iterator[tuple[Item, Outcome]]:
        """In chunks: one transaction gives the new generations, then one queues the runs."""
        for start in range(0, len(items), CHUNK):
            yield from self._chunk(work, list(items[start : start + CHUNK]))

    def _chunk(self, work: Work, items: list[Item]) -> Iterator[tuple[Item, Outcome]]:
        request: ReprocessRequest = work.request
        ids = [item.id for item in items]
        with work.transaction() as session:
            # A resumed run: a sample given its generation before the crash keeps it.
            given = item_generations(session, work.operation_id, ids)
            fresh = [sample_id for sample_id in ids if sample_id not in given]
            bumped = bump_generations(session, fresh, reset=not request.skip_reset)
            before = {sample_id: line for sample_id, (line, _) in bumped.items()}
            generations = {sample_id: gen for sample_id, (_, gen) in bumped.items()} | given
            set_item_generations(session, work.operation_id, generations)
        present = [item for item in items if item.id in generations]
        try:
            enqueue_samples(
                [(item.id, generations[item.id]) for item in present],
                work.settings.system_database_url,
            )
            error = None
        except Exception as exc:  # a queue outage: this chunk fails; a rerun resumes it
            log.warning("could not queue %d samples: %s", len(present), exc)
            error = str(exc)
        for item in items:
            generation = generations.get(item.id)
            if generation is None:
                yield item, Outcome(ItemState.SKIPPED, "deleted meanwhile")
                continue
            line = before.get(item.id)
            facts = Triggered(
                line.source_url if line else "",
                line.creator if line else None,
                line.status.value if line else "",
                not request.skip_reset,
            )
            state = ItemState.FAILED if error else ItemState.QUEUED
            yield item, Outcome(state, error, facts, generation)

    def dry_run_message(self, selection: Selection) -> str:
        """The operation's message after a dry run."""
        return f"dry run: {len(selection.items)} samples would be reprocessed"

    def finish_message(self, result: RunResult) -> str:
        """How many were queued."""
        t = result.tally
        queued, failed = t.of(ItemState.QUEUED), t.of(ItemState.FAILED)
        return f"queued {queued} of {t.total} samples; {failed} failed"

    def needs_queue(self, request: ReprocessRequest) -> bool:
        """It queues pipelines (and a dry run, too, asks DBOS which are queued already)."""
        return True


KIND = Reprocess()
