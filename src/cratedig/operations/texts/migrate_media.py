"""`python -m scripts.migrate_media_to_storage` / `cratedig migrate-media`: the reference's
text, and the follow-up for expired links (`--reprocess-expired OPERATION_ID`)."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cratedig.operations.console import RULE, Output, say
from cratedig.operations.framework import Kind, RunResult, Work
from cratedig.operations.kinds.migrate_media import EXPIRED, reprocess_expired_command
from cratedig.operations.repository import items_in_state
from cratedig.operations.states import Item, ItemState, Outcome, Subject
from cratedig.operations.texts.base import Text
from cratedig.operations.texts.reprocess import reprocess_ids
from cratedig.runtime import Runtime


@dataclass
class MigrateSummary:
    """What a run did; an expired item makes its sample failed and offered for reprocessing."""

    operation_id: uuid.UUID | None
    samples_total: int = 0
    samples_migrated: int = 0
    samples_skipped: int = 0
    samples_failed: int = 0
    creators_total: int = 0
    creators_migrated: int = 0
    creators_skipped: int = 0
    creators_failed: int = 0
    expired_sample_ids: list[uuid.UUID] = field(default_factory=list)
    creators_expired: int = 0


STATE_WORDS = {ItemState.DONE: "migrated", ItemState.SKIPPED: "skipped", ItemState.FAILED: "failed"}


class MigrateText(Text):
    """Each subject's values and their fate (or plan), the summary, the expired samples."""

    def __init__(
        self, kind: Kind[Any], out: Output = say, args: argparse.Namespace | None = None
    ) -> None:
        super().__init__(kind, out, args)
        self.summary = MigrateSummary(None)
        self._creators_said = False
        self._planned = {Subject.SAMPLE: 0, Subject.CREATOR: 0}

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """The follow-up for expired links."""
        parser.add_argument(
            "--reprocess-expired",
            type=uuid.UUID,
            metavar="OPERATION_ID",
            help="reprocess the samples that migration found with expired TikTok links",
        )

    def needs_queue(self) -> bool:
        """Reprocessing the expired samples queues pipelines."""
        return getattr(self.args, "reprocess_expired", None) is not None

    def command(self, runtime: Runtime, request: Any, only: Sequence[uuid.UUID] = ()) -> int:
        """The migration; or, with --reprocess-expired, the reprocess of its expired samples."""
        expired_in = getattr(self.args, "reprocess_expired", None)
        if expired_in is not None:
            return self._reprocess_expired(runtime, expired_in)
        self.out(RULE)
        self.out("Starting media migration to our storage")
        self.out(RULE)
        return super().command(runtime, request, only)

    def selected(self, selection: Any, request: Any) -> None:
        """Said as the run begins."""

    def nothing(self, selection: Any) -> None:
        """No subject has external media."""
        self.out("\nFound 0 samples to process")
        self.out("\nFound 0 creators to process")
        self.out(f"\nOperation: {self.operation_id}")

    def begin(self, work: Work, items: Sequence[Item]) -> None:
        """How many samples (and whether it is only a listing)."""
        samples = sum(1 for item in items if item.subject is Subject.SAMPLE)
        self.summary = MigrateSummary(
            work.operation_id, samples, creators_total=len(items) - samples
        )
        self.out(f"\nFound {samples} samples to process")
        if work.request.dry_run:
            self.out("DRY RUN: listing what would be migrated (nothing is changed)")

    def item(self, index: int, total: int, item: Item, outcome: Outcome) -> None:
        """A subject's block (or its planned moves)."""
        is_sample = item.subject is Subject.SAMPLE
        if not is_sample:
            self._say_creators()
        position = index if is_sample else index - self.summary.samples_total
        count = self.summary.samples_total if is_sample else self.summary.creators_total
        facts = outcome.facts
        handle = facts.handle if facts is not None else ""
        if outcome.state is ItemState.PENDING:
            name = str(item.id) if is_sample else handle
            for moved in facts.media if facts is not None else []:
                self.out(f"  {name}  {moved.name}  {moved.host}  ({moved.text})")
                self._planned[item.subject] += 1
            return
        title = f"Sample {item.id}" if is_sample else f"Creator {handle or item.id}"
        if is_sample:
            self.out(f"\n[{position}/{count}] Processing sample...")
            self.out(f"Processing sample {item.id}" + (f" ({handle})" if handle else ""))
        else:
            self.out(f"\n[{position}/{count}] {handle or item.id}")
        if outcome.detail == "no longer exists":
            self.out(f"- {title} no longer exists")
        for moved in facts.media if facts is not None else []:
            self._say_moved(item, moved, is_sample)
        self._say_subject(title, outcome, facts)
        self._count(item, outcome)

    def _say_moved(self, item: Item, moved: Any, is_sample: bool) -> None:
        label = moved.name[0].upper() + moved.name[1:]
        if is_sample:
            self.out(f"  Migrating {moved.name} for sample {item.id}")
        if moved.result == "migrated":
            self.out(f"  ✓ {label} migrated" + (f" ({moved.text})" if moved.text else ""))
        elif moved.result == "changed":
            self.out(f"  - {label} changed meanwhile; left as it is")
        elif moved.result == EXPIRED:
            offer = ": offered for reprocessing" if is_sample else ""
            self.out(f"  ✗ {label} expired ({moved.text}){offer}")
        else:
            self.out(f"  ✗ {label} failed: {moved.text}")

    def _say_subject(self, title: str, outcome: Outcome, facts: Any) -> None:
        if outcome.state is ItemState.FAILED:
            problems = sum(1 for m in facts.media if m.result in (EXPIRED, "failed"))
            self.out(f"✗ {title}: {problems} item{'s' if problems > 1 else ''} failed")
        elif outcome.state is ItemState.DONE:
            self.out(f"✓ {title} migrated successfully")
        elif outcome.detail != "no longer exists":
            reason = outcome.detail if outcome.detail != "nothing external" else ""
            self.out(f"- {title}: nothing to migrate" + (f" ({reason})" if reason else ""))

    def _count(self, item: Item, outcome: Outcome) -> None:
        name = f"{item.subject.value}s_{STATE_WORDS.get(outcome.state, 'failed')}"
        setattr(self.summary, name, getattr(self.summary, name) + 1)
        if outcome.flag == EXPIRED and item.subject is Subject.SAMPLE:
            self.summary.expired_sample_ids.append(item.id)
        elif outcome.flag == EXPIRED:
            self.summary.creators_expired += 1

    def _say_creators(self) -> None:
        if not self._creators_said:
            self._creators_said = True
            self.out(f"\nFound {self.summary.creators_total} creators to process")

    def end(self, result: RunResult) -> None:
        """The summary (or a dry run's totals) and the expired samples."""
        self._say_creators()
        s = self.summary
        if result.request.dry_run:
            samples, creators = self._planned[Subject.SAMPLE], self._planned[Subject.CREATOR]
            self.out(
                f"\nDRY RUN COMPLETE: {samples} items of {s.samples_total} samples and {creators} "
                f"items of {s.creators_total} creators would be migrated (nothing changed)"
            )
            return
        self.out("\n" + RULE)
        self.out("MIGRATION COMPLETE")
        self.out(RULE)
        for title, what, expired in (
            ("Samples", "samples", len(s.expired_sample_ids)),
            ("Creators", "creators", s.creators_expired),
        ):
            self.out(f"\n{title}:")
            for name in ("total", "migrated", "skipped", "failed"):
                self.out(f"  {name.title()}: {getattr(s, f'{what}_{name}')}")
            self.out(f"  Expired: {expired}")
        if s.expired_sample_ids:
            self.out(
                f"\n⚠️  {len(s.expired_sample_ids)} samples have expired TikTok CDN links; "
                "reprocess them to fetch fresh media:"
            )
            self.out(f"  {reprocess_expired_command(result.operation_id)}")
            self.out("Expired samples:")
            for sample_id in s.expired_sample_ids:
                self.out(f"  {sample_id}")
        self.out(f"\nOperation: {result.operation_id}")

    def exit_code(self, result: RunResult) -> int:
        """0 when nothing failed."""
        return 1 if self.summary.samples_failed or self.summary.creators_failed else 0

    def _reprocess_expired(self, runtime: Runtime, operation_id: uuid.UUID) -> int:
        """Queue the full pipeline for the samples a migration found expired."""
        with runtime.transaction() as session:
            ids = items_in_state(
                session, operation_id, ItemState.FAILED, detail_prefix=f"{EXPIRED}:"
            )
        self.out(f"{len(ids)} samples with expired links in migration {operation_id}")
        if not ids:
            return 0
        extra = {"expired_in_migration": str(operation_id)}
        result = reprocess_ids(runtime, ids, extra=extra, out=self.out)
        self.out(f"\nSuccessfully triggered: {result.triggered}")
        self.out(f"Failed: {result.failed}")
        self.out(f"Operation: {result.operation_id}")
        return 0 if result.failed == 0 else 1


TEXT = MigrateText
