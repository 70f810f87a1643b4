"""What ended generations leave behind: their staged files, removed when storage allows (by the
failure itself, by the next publish of the sample, and by the link check's repair)."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from cratedig.models import Sample, SampleStatus
from cratedig.pipeline.queue import active_sample_workflows, workflow_id
from cratedig.pipeline.state import serves_generation
from cratedig.runtime import Runtime, current_runtime
from cratedig.samples.repository import SampleRepository
from cratedig.storage import Storage, StorageError
from cratedig.storage.keys import STAGING, sample_staging_prefix, staged_generation, staging_prefix

log = logging.getLogger(__name__)

DB_WRITE_ATTEMPTS = 6
"""Attempts of a workflow's bookkeeping step (a few seconds of database reconnects)."""
DB_WRITE_INTERVAL_SECONDS = 0.5


def discard_staging(sample_id: str, generation: int) -> None:
    """Delete a failed generation's staged files; with storage down they stay, logged."""
    try:
        current_runtime().storage.delete_prefix(staging_prefix(sample_id, generation))
    except StorageError as exc:
        # The sample's failure is already recorded; its reason matters more than the leftovers.
        log.warning("staged files of sample %s g%s left behind: %s", sample_id, generation, exc)


def discard_older_staging(storage: Storage, sample_id: str, generation: int) -> None:
    """At the publish of `generation`: delete what earlier generations left staged (one that
    failed in a storage outage); they can never publish now. With storage down, logged."""
    try:
        staged = _staged_generations(storage, sample_staging_prefix(sample_id))[sample_id]
        _delete_generations(storage, sample_id, [g for g in staged if g < generation])
    except StorageError as exc:
        log.warning("older staged files of sample %s left behind: %s", sample_id, exc)


def discard_ended_staging(runtime: Runtime, sample_ids: Sequence[uuid.UUID]) -> int:
    """Delete the staged files of these samples' generations whose run has ended; how many
    generations went. Reads DBOS's queue: call it where DBOS is launched."""
    staged = _staged_generations(runtime.storage, STAGING)
    chosen = [sid for sid in sample_ids if str(sid) in staged]
    if not chosen:
        return 0
    active = active_sample_workflows()  # before the rows: a run queued later has a newer row
    removed = 0
    for sample_id in chosen:
        with runtime.transaction() as session:
            sample = SampleRepository(session).get(sample_id)
            if sample is None:
                continue  # deleted meanwhile: the delete removed its staging

            def running(generation: int, sid: uuid.UUID = sample_id) -> bool:
                return workflow_id(sid, generation) in active

            ended = ended_generations(sample, staged[str(sample_id)], running)
        try:
            _delete_generations(runtime.storage, str(sample_id), ended)
        except StorageError as exc:
            log.warning("staged files of sample %s left behind: %s", sample_id, exc)
            continue
        removed += len(ended)
    if removed:
        log.info("removed the staged files of %d ended generations", removed)
    return removed


def ended_generations(
    sample: Sample, staged: Iterable[int], running: Callable[[int], bool]
) -> list[int]:
    """Which of the sample's staged generations can never need their files again: those
    before a published current generation, and those whose run is over (`running`: queued or
    running now) and which are superseded, failed or published."""
    current = sample.generation
    published = serves_generation(sample, current)

    def ended(generation: int) -> bool:
        if generation < current and published:
            return True  # superseded by a published generation: it can never publish
        if running(generation) or generation > current:
            return False
        if generation < current:
            return True
        return sample.status is SampleStatus.FAILED or published

    return sorted(g for g in staged if ended(g))


def _staged_generations(storage: Storage, prefix: str) -> defaultdict[str, set[int]]:
    """Each sample's staged generations under `prefix` (one listing)."""
    found: defaultdict[str, set[int]] = defaultdict(set)
    for item in storage.list(prefix + "/"):
        parsed = staged_generation(item.key)
        if parsed is not None:
            found[parsed[0]].add(parsed[1])
    return found


def _delete_generations(storage: Storage, sample_id: str, generations: Iterable[int]) -> None:
    for generation in generations:
        storage.delete_prefix(staging_prefix(sample_id, generation))
