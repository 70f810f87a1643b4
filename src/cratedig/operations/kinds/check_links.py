"""Broken-link check: every artifact of the chosen samples must be there, in our storage or at
its external URL (see operations/link_check.py); with `repair`, reprocess the broken ones.

A submission that failed before it ever had media is not broken (there is nothing to repair:
its failure is on the pipeline dashboard); it is counted apart and never reprocessed here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

from pydantic import Field, StrictBool, StrictInt
from sqlalchemy.orm import Session

from cratedig.models import SampleStatus
from cratedig.operations.framework import FollowUp, Kind, RunResult, Work, get_kind
from cratedig.operations.library_repository import sample_ids
from cratedig.operations.link_check import SampleCheck, iter_checks
from cratedig.operations.repository import items_in_state
from cratedig.operations.schemas import OperationRequest
from cratedig.operations.states import Item, ItemState, Outcome, Selection, Subject, Tally
from cratedig.pipeline.cleanup import discard_ended_staging
from cratedig.runtime import Runtime

NEVER_HAD_MEDIA = "never had media"


class CheckLinksRequest(OperationRequest):
    """Which samples to check, and whether to reprocess the broken ones."""

    status: SampleStatus | None = Field(None, description="only samples in this status")
    limit: StrictInt | None = Field(
        None, ge=1, le=1_000_000, description="at most N samples (oldest first)"
    )
    repair: StrictBool = Field(False, description="reprocess the samples found broken")


class CheckLinks(Kind[CheckLinksRequest]):
    """Find (and repair) samples with broken or missing media."""

    name = "check_links"
    path = "/admin/check-links"
    summary = "find (and --repair) samples with broken or missing media"
    request_model = CheckLinksRequest
    phrase = "link check of"

    def select(
        self,
        runtime: Runtime,
        session: Session,
        request: CheckLinksRequest,
        only: Sequence[uuid.UUID],
    ) -> Selection:
        """Samples in the status asked (any when None), oldest first, up to the limit."""
        ids = sample_ids(session, request.status, request.limit)
        return Selection([Item(Subject.SAMPLE, i) for i in ids if not only or i in set(only)])

    def handle_all(self, work: Work, items: Sequence[Item]) -> Iterator[tuple[Item, Outcome]]:
        """Each sample's verdict as its probes come back (a storage outage ends the run)."""
        by_id = {item.id: item for item in items}
        for check in iter_checks(work.runtime, list(by_id)):
            yield by_id[check.sample_id], verdict(check)

    def follow_up(self, work: Work, tally: Tally) -> FollowUp | None:
        """With `repair`: remove what ended generations of the checked samples left staged,
        and reprocess every sample this run found broken (earlier passes too)."""
        if not work.request.repair:
            return None
        with work.transaction() as session:
            broken = items_in_state(session, work.operation_id, ItemState.FAILED)
            checked = [
                sample_id
                for state in (ItemState.DONE, ItemState.FAILED, ItemState.SKIPPED)
                for sample_id in items_in_state(session, work.operation_id, state)
            ]
        discard_ended_staging(work.runtime, checked)
        if not broken:
            return None
        reprocess = get_kind("reprocess").request_model()
        return FollowUp(
            "reprocess", reprocess, broken, {"check_links_operation": str(work.operation_id)}
        )

    def dry_run_message(self, selection: Selection) -> str:
        """The operation's message after a dry run."""
        return f"dry run: {len(selection.items)} samples would be checked"

    def finish_message(self, result: RunResult) -> str:
        """How many are broken (and queued for repair)."""
        t = result.tally
        never = t.flagged(NEVER_HAD_MEDIA)
        checked = t.of(ItemState.DONE) + t.of(ItemState.FAILED) + never
        message = f"{t.of(ItemState.FAILED)} of {checked} samples broken"
        if never:
            message += f"; {never} never had media"
        if result.request.repair:
            repair = result.follow_up
            message += (
                f"; reprocess triggered for {repair.tally.of(ItemState.QUEUED) if repair else 0}"
            )
        return message

    def needs_queue(self, request: CheckLinksRequest) -> bool:
        """A repair queues pipelines."""
        return request.repair and not request.dry_run


def verdict(check: SampleCheck) -> Outcome:
    """One sample's outcome: healthy, broken (with what), gone, or never processed."""
    if not check.found:
        return Outcome(ItemState.SKIPPED, "sample no longer exists", check)
    if check.never_had_media:
        detail = f"{NEVER_HAD_MEDIA} (status {check.status})"
        return Outcome(ItemState.SKIPPED, detail, check, flag=NEVER_HAD_MEDIA)
    if check.broken:
        detail = "; ".join(f"{b.artifact}: {b.reason}" for b in check.broken)
        return Outcome(ItemState.FAILED, detail, check)
    return Outcome(ItemState.DONE, None, check)


KIND = CheckLinks()
