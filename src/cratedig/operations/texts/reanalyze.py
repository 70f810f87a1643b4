"""`cratedig reanalyze`: what was found, each sample's tempo and key before and after (with
the other readings considered), the progress and the summary, in the reference scripts' style."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cratedig.operations.console import WIDE_RULE, Output, say
from cratedig.operations.framework import Kind, RunResult, Work
from cratedig.operations.kinds.reanalyze import CHANGED, describe_reading
from cratedig.operations.states import Item, ItemState, Outcome, Selection
from cratedig.operations.texts.base import Text


@dataclass
class ReanalyzeSummary:
    """What a run did."""

    operation_id: uuid.UUID | None
    total: int = 0
    succeeded: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0  # reading and analysing, summed over samples


class ReanalyzeText(Text):
    """What was found, each sample's readings, the summary."""

    def __init__(
        self, kind: Kind[Any], out: Output = say, args: argparse.Namespace | None = None
    ) -> None:
        super().__init__(kind, out, args)
        self.summary = ReanalyzeSummary(None)

    def selected(self, selection: Selection, request: Any) -> None:
        """How many have a stored WAV, and how many this run takes."""
        self.found_and_taken(selection, "samples with a stored WAV", "re-analyse")

    def nothing(self, selection: Selection) -> None:
        """Nothing to do."""
        self.out("\nNothing to do.")
        self.out(f"Operation: {self.operation_id}")

    def begin(self, work: Work, items: Sequence[Item]) -> None:
        """The listing's or the run's heading."""
        self.summary = ReanalyzeSummary(work.operation_id, total=len(items))
        if work.request.dry_run:
            self.out(f"\nDRY RUN: {len(items)} samples would be re-analysed (nothing changed)")
            return
        self.out(f"\nRe-analysing {len(items)} samples (tempo and key only, from stored WAVs)...")
        self.out(WIDE_RULE)

    def item(self, index: int, total: int, item: Item, outcome: Outcome) -> None:
        """A dry run's line, or the sample's block and the progress."""
        facts = outcome.facts
        if outcome.state is ItemState.PENDING:
            creator = f"@{facts.creator}" if facts and facts.creator else "(unknown)"
            self.out(f"[{index}/{total}] {item.id}  {creator}  now: {outcome.detail}")
            return
        self.out(f"\n[{index}/{total}] Sample: {item.id}")
        if facts is not None:
            self._readings(facts)
        if outcome.state is ItemState.DONE:
            self.summary.succeeded += 1
            self.summary.seconds += facts.seconds or 0.0
            if outcome.flag == CHANGED:
                self.summary.changed += 1
                self.out("  ✅ Updated (the reading changed)")
            else:
                self.out("  ✅ Updated (same reading, fresh confidences and candidates)")
        elif outcome.state is ItemState.SKIPPED:
            self.summary.skipped += 1
            self.out(f"  ⏭️  Skipped: {outcome.detail}")
        else:
            self.summary.failed += 1
            self.out(f"  ❌ Failed: {outcome.detail}")
        s = self.summary
        self.out(f"  Progress: {s.succeeded} succeeded ({s.changed} changed), {s.failed} failed")

    def _readings(self, facts: Any) -> None:
        creator = f"@{facts.creator}" if facts.creator else "(unknown)"
        size = f"{facts.wav_bytes / (1024 * 1024):.2f} MB" if facts.wav_bytes else "size unknown"
        self.out(f"  Creator: {creator}")
        self.out(f"  Reading WAV from storage ({size})...")
        self.out(f"  Before: {describe_reading(facts.before)}")
        if not facts.after:
            return
        after = facts.after
        self.out(f"  After:  {describe_reading(after)} ({facts.seconds:.2f} s)")
        tempi = ", ".join(f"{c['bpm']} ({c['confidence']:.2f})" for c in after["bpm_candidates"])
        keys = ", ".join(
            f"{c['key']} {c['scale']} ({c['confidence']:.2f})" for c in after["key_candidates"]
        )
        self.out(f"  Tempo readings: {tempi or 'none'}")
        self.out(f"  Key readings: {keys or 'none'}")

    def end(self, result: RunResult) -> None:
        """The summary (not after a dry run)."""
        if result.request.dry_run:
            self.out(f"Operation: {result.operation_id}")
            return
        s = self.summary
        self.out("\n" + WIDE_RULE)
        self.out("SUMMARY")
        self.out(WIDE_RULE)
        self.out(f"Total processed: {s.total}")
        self.out(f"Successful: {s.succeeded}")
        self.out(f"Changed reading: {s.changed}")
        self.out(f"Failed: {s.failed}")
        if s.skipped:
            self.out(f"Skipped: {s.skipped}")
        if s.succeeded:
            self.out(f"Analysis time: {s.seconds / s.succeeded:.2f} s per sample")
        self.out(f"Operation: {s.operation_id}")


TEXT = ReanalyzeText
