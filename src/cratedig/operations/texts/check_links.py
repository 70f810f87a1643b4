"""`cratedig check-links`: progress, each broken sample with what is broken, the repair, the
summary. Exits 1 when something is broken and not queued for repair."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cratedig.artifacts import is_external
from cratedig.operations.console import RULE, Output, say
from cratedig.operations.framework import Kind, RunResult, Work
from cratedig.operations.kinds.check_links import NEVER_HAD_MEDIA
from cratedig.operations.link_check import SampleCheck
from cratedig.operations.runner import Observer, Started
from cratedig.operations.states import Item, ItemState, Outcome
from cratedig.operations.texts.base import Text
from cratedig.operations.texts.reprocess import RepairText
from cratedig.runtime import Runtime
from cratedig.storage import StorageError


@dataclass
class CheckSummary:
    """What a run found (and queued for repair)."""

    operation_id: uuid.UUID | None
    checked: int = 0
    healthy: int = 0
    broken: int = 0
    never_had_media: int = 0
    broken_artifacts: int = 0
    repaired: int = 0


class CheckLinksText(Text):
    """The check as operators read it."""

    def __init__(
        self, kind: Kind[Any], out: Output = say, args: argparse.Namespace | None = None
    ) -> None:
        super().__init__(kind, out, args)
        self.summary = CheckSummary(None)
        self._order: dict[uuid.UUID, int] = {}
        self._broken: list[SampleCheck] = []
        self._seen = 0
        self._listed = False

    def command(self, runtime: Runtime, request: Any, only: Sequence[uuid.UUID] = ()) -> int:
        """The check; a storage outage stops it (exit 1)."""
        self.out(RULE)
        self.out("Checking sample media links")
        self.out(RULE)
        try:
            return super().command(runtime, request, only)
        except StorageError as exc:
            self.out(f"\n✗ Storage error, the check stopped: {exc}")
            return 1

    def selected(self, selection: Any, request: Any) -> None:
        """Said as the run begins."""

    def nothing(self, selection: Any) -> None:
        """Nothing to check."""
        self.out("\nChecking 0 samples...")
        self.end(None)

    def begin(self, work: Work, items: Sequence[Item]) -> None:
        """How many samples."""
        self.summary = CheckSummary(work.operation_id)
        self._order = {item.id: position for position, item in enumerate(items)}
        if work.request.dry_run:
            self.out(f"\nDRY RUN: {len(items)} samples would be checked (nothing changed)")
        else:
            self.out(f"\nChecking {len(items)} samples...")

    def item(self, index: int, total: int, item: Item, outcome: Outcome) -> None:
        """Count it; a line each tenth of the way."""
        if outcome.state is ItemState.PENDING:
            self.out(f"[{index}/{total}] {item.id}")
            return
        check: SampleCheck = outcome.facts
        self._seen += 1
        if outcome.flag == NEVER_HAD_MEDIA:
            self.summary.checked += 1
            self.summary.never_had_media += 1
        elif outcome.state is ItemState.FAILED:
            self.summary.checked += 1
            self.summary.broken += 1
            self.summary.broken_artifacts += len(check.broken)
            self._broken.append(check)
        elif outcome.state is ItemState.DONE:
            self.summary.checked += 1
            self.summary.healthy += 1
        if self._seen * 10 // total != (self._seen - 1) * 10 // total:
            self.out(f"  checked {self._seen}/{total} ({self.summary.broken} broken)")

    def follow_up(self, kind: Kind[Any], started: Started) -> Observer:
        """The repair: the broken samples first, then the reprocess's own blocks."""
        self._list_broken()
        self.out(f"\nRepairing: reprocessing {len(started.selection.items)} broken samples...")
        return _Repair(self, kind)

    def end(self, result: RunResult | None) -> None:
        """The broken samples (unless listed already) and the summary."""
        if result is not None and result.request.dry_run:
            return
        self._list_broken()
        s = self.summary
        self.out("\n" + RULE)
        self.out("LINK CHECK COMPLETE")
        self.out(RULE + "\n")
        self.out(f"Checked: {s.checked}")
        self.out(f"Healthy: {s.healthy}")
        self.out(f"Broken: {s.broken}")
        self.out(f"Never had media (failed before any was stored): {s.never_had_media}")
        self.out(f"Broken artifacts: {s.broken_artifacts}")
        if result is not None and result.request.repair:
            self.out(f"Reprocess triggered: {s.repaired}")
        self.out(RULE)

    def exit_code(self, result: RunResult) -> int:
        """1 when something is broken and not queued for repair."""
        return 0 if self.summary.broken <= self.summary.repaired else 1

    def _list_broken(self) -> None:
        if self._listed:
            return
        self._listed = True
        for check in sorted(self._broken, key=lambda c: self._order.get(c.sample_id, 0)):
            creator = f"@{check.creator}" if check.creator else "(unknown)"
            self.out(f"\n✗ {check.sample_id} {creator} {check.status}")
            for item in check.broken:
                shown = f" ({item.value})" if is_external(item.value) else ""
                self.out(f"    {item.artifact}: {item.reason}{shown}")


class _Repair(RepairText):
    """The repair's reprocess, counted into the check's summary."""

    def __init__(self, check: CheckLinksText, kind: Kind[Any]) -> None:
        super().__init__(kind, check.out)
        self._check = check

    def end(self, result: RunResult) -> None:
        """Count the queued samples as repaired."""
        self._check.summary.repaired = self.summary.triggered
        super().end(result)


TEXT = CheckLinksText
