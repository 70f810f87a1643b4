"""`python scripts/backfill_hls_streams.py` / `cratedig backfill-hls`: the reference's text."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cratedig.artifacts import is_external
from cratedig.operations.console import WIDE_RULE, Output, say
from cratedig.operations.framework import Kind, RunResult, Work
from cratedig.operations.states import Item, ItemState, Outcome, Selection
from cratedig.operations.texts.base import Text

PROGRESS_EVERY = 5  # "Uploaded 5/15 segments"


@dataclass
class BackfillSummary:
    """What a run did."""

    operation_id: uuid.UUID | None
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0


class BackfillText(Text):
    """What was found, each sample's steps as far as they went, the summary."""

    def __init__(
        self, kind: Kind[Any], out: Output = say, args: argparse.Namespace | None = None
    ) -> None:
        super().__init__(kind, out, args)
        self.summary = BackfillSummary(None)

    def selected(self, selection: Selection, request: Any) -> None:
        """How many lack a stream, and how many this run takes."""
        self.found_and_taken(selection, "samples without HLS streams", "process")

    def nothing(self, selection: Selection) -> None:
        """Nothing to do."""
        self.out("\nNothing to do.")

    def begin(self, work: Work, items: Sequence[Item]) -> None:
        """The listing's or the run's heading."""
        self.summary = BackfillSummary(work.operation_id, total=len(items))
        if work.request.dry_run:
            self.out(f"\nDRY RUN: {len(items)} samples would be processed (nothing changed)")
            return
        self.out(f"\nProcessing {len(items)} samples...")
        self.out(WIDE_RULE)

    def item(self, index: int, total: int, item: Item, outcome: Outcome) -> None:
        """A dry run's line, or the sample's block and the progress."""
        facts = outcome.facts
        if outcome.state is ItemState.PENDING:
            if facts is None:
                self.out(f"[{index}/{total}] {item.id}  (no longer exists)")
                return
            creator = f"@{facts.creator}" if facts.creator else "(unknown)"
            note = f"  ({outcome.detail})" if outcome.detail else ""
            line = f"{item.id}  {creator}  {_duration(facts.duration)}  {facts.mp3}{note}"
            self.out(f"[{index}/{total}] {line}")
            return
        self.out(f"\n[{index}/{total}] Sample: {item.id}")
        if facts is not None:
            self._steps(item.id, facts)
        if outcome.state is ItemState.DONE:
            self.summary.succeeded += 1
            self.out(f"  ✅ Successfully processed sample {item.id}")
        elif outcome.state is ItemState.SKIPPED:
            self.summary.skipped += 1
            self.out(f"  ⏭️  Skipped: {outcome.detail}")
        else:
            self.summary.failed += 1
            self.out(f"  ❌ Failed: {outcome.detail}")
        self.out(f"  Progress: {self.summary.succeeded} succeeded, {self.summary.failed} failed")

    def _steps(self, sample_id: uuid.UUID, facts: Any) -> None:
        creator = f"@{facts.creator}" if facts.creator else "(unknown)"
        self.out(f"  Creator: {creator}")
        self.out(f"  Duration: {_duration(facts.duration)}")
        self.out(f"  MP3 URL: {facts.mp3}")
        if facts.mp3 is None or (is_external(facts.mp3) and not facts.mp3_bytes):
            return
        self.out(f"Processing sample {sample_id} - {creator}")
        self.out("  Downloading MP3 from storage...")
        if facts.mp3_bytes is None:
            return
        self.out(f"  MP3 downloaded: {facts.mp3_bytes / (1024 * 1024):.2f} MB")
        self.out("  Generating HLS stream...")
        if facts.segments is None:
            return
        self.out(f"  Generated {facts.segments} HLS segments")
        self.out(f"  Uploading {facts.segments} HLS segments...")
        for done in range(1, facts.segments + 1):
            if done % PROGRESS_EVERY == 0 or done == facts.segments:
                self.out(f"    Uploaded {done}/{facts.segments} segments")
        self.out("  All segments uploaded")
        self.out("  Uploading HLS playlist...")
        if facts.playlist is None:
            return
        self.out(f"  Playlist uploaded: {facts.playlist}")
        if facts.updated:
            self.out("  Updating database...")

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
        self.out(f"Failed: {s.failed}")
        if s.skipped:
            self.out(f"Skipped: {s.skipped}")
        self.out(f"Operation: {s.operation_id}")


def _duration(seconds: float | None) -> str:
    return f"{seconds:.1f}s" if seconds else "unknown"


TEXT = BackfillText
