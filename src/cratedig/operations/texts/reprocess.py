"""`python -m scripts.reprocess_all_samples` / `cratedig reprocess`: the reference's text."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cratedig.operations.console import RULE, Output, confirm, say
from cratedig.operations.follow import follow_operation
from cratedig.operations.framework import Kind, RunResult, Work, get_kind
from cratedig.operations.runner import finish_now, record, run_operation, select_items
from cratedig.operations.states import Item, ItemState, Outcome, Selection
from cratedig.operations.texts.base import Text
from cratedig.runtime import Runtime

FULL_PIPELINE = (
    "Download video from TikTok",
    "Extract audio (WAV + MP3)",
    "Generate waveforms",
    "Analyze BPM/key",
    "Download and store all media",
    "This may take a while and makes one TikTok page request per sample",
)


@dataclass
class ReprocessResult:
    """What a trigger did: total = triggered + failed + skipped."""

    operation_id: uuid.UUID | None
    total: int = 0
    triggered: int = 0
    failed: int = 0
    skipped: int = 0


class ReprocessText(Text):
    """Header, warning and confirmation, one block per queued sample, the summary."""

    def __init__(
        self, kind: Kind[Any], out: Output = say, args: argparse.Namespace | None = None
    ) -> None:
        super().__init__(kind, out, args)
        self.summary = ReprocessResult(None)
        self.passed_over: list[tuple[uuid.UUID, str]] = []

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """--yes and --follow."""
        parser.add_argument("--yes", action="store_true", help="don't ask for confirmation")
        parser.add_argument(
            "--follow", action="store_true", help="then show the pipelines' progress until done"
        )

    def command(self, runtime: Runtime, request: Any, only: Sequence[uuid.UUID] = ()) -> int:
        """The reference's flow; 0 when every chosen sample was queued (or listed)."""
        self.out(RULE)
        self.out("Starting sample reprocessing")
        self.out(RULE)
        code = super().command(runtime, request, only)
        if self.result is not None and getattr(self.args, "follow", False):
            follow_operation(self.result.operation_id)
        return code

    def selected(self, selection: Selection, request: Any) -> None:
        """Nothing, a dry run's listing comes with the run; else the warning."""
        self.passed_over = selection.skipped
        if selection.items and not request.dry_run:
            self.out("\n⚠️  WARNING " + "=" * 50)
            self.out(
                f"This will reprocess {len(selection.items)} samples through the FULL pipeline:"
            )
            for line in FULL_PIPELINE:
                self.out(f"  - {line}")
            self.out("=" * 62 + "\n")

    def confirm(self, selection: Selection, request: Any) -> bool:
        """Ask before a real run."""
        if not selection.items or request.dry_run:
            return True
        if confirm(self.out, assume_yes=getattr(self.args, "yes", True)):
            return True
        self.out("Cancelled: nothing was changed.")
        return False

    def extra(self, selection: Selection) -> dict[str, Any]:
        """How many were passed over."""
        return {"skipped": len(selection.skipped)}

    def nothing(self, selection: Selection) -> None:
        """No sample to reprocess."""
        self.out(f"\nNo samples to reprocess ({len(selection.skipped)} skipped).")
        self._say_passed_over()

    def begin(self, work: Work, items: Sequence[Item]) -> None:
        """A dry run's heading."""
        self.summary = ReprocessResult(work.operation_id, total=len(items) + len(self.passed_over))
        self.summary.skipped = len(self.passed_over)
        if work.request.dry_run:
            self.out(f"\nDRY RUN: {len(items)} samples would be reprocessed (nothing changed)\n")

    def item(self, index: int, total: int, item: Item, outcome: Outcome) -> None:
        """A listed, queued, failed or vanished sample."""
        facts = outcome.facts
        if outcome.state is ItemState.PENDING:  # a dry run's line
            creator = f"@{facts.creator}" if facts and facts.creator else "(unknown)"
            url, status = (facts.source_url, facts.status.value) if facts else ("", "")
            self.out(f"[{index}] {item.id}  {url}  {creator}  {status}  ({outcome.detail})")
            return
        if outcome.state is ItemState.SKIPPED:
            self.summary.skipped += 1
            self.out(f"  skipped {item.id}: {outcome.detail}")
            return
        self.out(f"\n[{index}/{total}] Processing sample {item.id}")
        if facts is not None and facts.source_url:
            self.out(f"  URL: {facts.source_url}")
            self.out(f"  Creator: @{facts.creator}" if facts.creator else "  Creator: (unknown)")
            self.out(f"  Current status: {facts.previous_status}")
        if outcome.state is ItemState.FAILED:
            self.summary.failed += 1
            self.out(f"  ✗ Could not trigger the pipeline for sample {item.id}: {outcome.detail}")
            return
        if facts is not None and facts.reset:
            self.out(f"  Reset sample {item.id} to pending")
        self.summary.triggered += 1
        self.out(f"  ✓ Pipeline triggered for sample {item.id}")

    def end(self, result: RunResult) -> None:
        """The summary, or the skipped samples after a dry run's listing."""
        if result.request.dry_run:
            self._say_passed_over()
            self.out(f"\nDry-run operation: {result.operation_id}")
            return
        s = self.summary
        self.out("\n" + RULE)
        self.out("REPROCESSING COMPLETE")
        self.out(RULE + "\n")
        self.out(f"Total samples: {s.total}")
        self.out(f"Successfully triggered: {s.triggered}")
        self.out(f"Failed: {s.failed}")
        self.out(f"Skipped: {s.skipped}")
        self.out("\n💡 Monitor processing progress:")
        self.out(f"   - cratedig operations {result.operation_id} --follow")
        self.out(f"   - GET /api/v1/operations/{result.operation_id}")
        self.out(RULE)

    def exit_code(self, result: RunResult) -> int:
        """0 when nothing failed to queue."""
        return 1 if self.summary.failed else 0

    def _say_passed_over(self) -> None:
        for sample_id, reason in self.passed_over:
            self.out(f"  skipped {sample_id}: {reason}")


class RepairText(ReprocessText):
    """A reprocess another run started (a repair): its blocks only, then its id."""

    def end(self, result: RunResult) -> None:
        """Where to follow it."""
        self.out(f"\nReprocess operation: {result.operation_id}")


class _IdsText(ReprocessText):
    def end(self, result: RunResult) -> None:
        """The caller sums it up."""


def reprocess_ids(
    runtime: Runtime,
    sample_ids: Sequence[uuid.UUID],
    *,
    origin: str = "cli",
    extra: dict[str, Any] | None = None,
    out: Output = say,
) -> ReprocessResult:
    """Reprocess exactly these samples (those a check found broken, a migration expired); a
    sample whose pipeline is already queued or running is left to it (and counted skipped)."""
    kind = get_kind("reprocess")
    request = kind.request_model()
    selection = select_items(runtime, kind, request, sample_ids)
    params = {"sample_ids": len(sample_ids), **(extra or {})}
    operation_id = record(runtime, kind, request, selection, origin, params)
    text = _IdsText(kind, out)
    text.passed_over = selection.skipped
    if not selection.items:
        finish_now(runtime, operation_id, "nothing to do")
        text.summary = ReprocessResult(
            operation_id, len(selection.skipped), skipped=len(selection.skipped)
        )
        return text.summary
    run_operation(runtime, operation_id, text)
    return text.summary


TEXT = ReprocessText
