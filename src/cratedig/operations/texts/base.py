"""The command flow every kind's command shares, and the generic rendering of a run."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Sequence
from typing import Any

from cratedig.operations.console import RULE, Output, say
from cratedig.operations.framework import Kind, RunResult, Work
from cratedig.operations.runner import Observer, finish_now, record, run_operation, select_items
from cratedig.operations.states import Item, ItemState, Outcome, Selection, SubjectNotFoundError
from cratedig.runtime import Runtime


class Text(Observer):
    """Runs a kind's command and renders it line by line on `out`."""

    def __init__(
        self, kind: Kind[Any], out: Output = say, args: argparse.Namespace | None = None
    ) -> None:
        self.kind = kind
        self.out = out
        self.args = args or argparse.Namespace()
        self.operation_id: uuid.UUID | None = None
        self.result: RunResult | None = None

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """Flags of the command beyond the kind's request."""

    def needs_queue(self) -> bool:
        """Whether the command queues pipelines whatever the request says."""
        return False

    def command(self, runtime: Runtime, request: Any, only: Sequence[uuid.UUID] = ()) -> int:
        """Choose, record and run here; the exit code."""
        try:
            selection = select_items(runtime, self.kind, request, only)
        except SubjectNotFoundError as exc:
            self.out(str(exc)[:1].upper() + str(exc)[1:])
            return 1
        self.selected(selection, request)
        if not self.confirm(selection, request):
            return 1
        self.operation_id = record(
            runtime, self.kind, request, selection, "cli", self.extra(selection)
        )
        if not selection.items and not request.dry_run:
            finish_now(runtime, self.operation_id, "nothing to do")
            self.nothing(selection)
            return 0
        self.result = run_operation(runtime, self.operation_id, self)
        return self.exit_code(self.result)

    def selected(self, selection: Selection, request: Any) -> None:
        """What was chosen, before anything is recorded."""
        self.out(f"Found {len(selection.items)} {self.kind.subject_word}")

    def found_and_taken(self, selection: Selection, found_what: str, will: str) -> None:
        """Say 'Found N <found_what>', the selection's note, 'Will <will> up to M samples'."""
        found = selection.found if selection.found is not None else len(selection.items)
        self.out(f"Found {found} {found_what}")
        if selection.note:
            self.out(selection.note)
        self.out(f"Will {will} up to {len(selection.items)} samples")

    def confirm(self, selection: Selection, request: Any) -> bool:
        """Whether to go on."""
        return True

    def extra(self, selection: Selection) -> dict[str, Any]:
        """Further params recorded with the operation."""
        return {}

    def nothing(self, selection: Selection) -> None:
        """Nothing was chosen (the run is recorded and finished)."""
        self.out("Nothing to do.")
        self.out(f"Operation: {self.operation_id}")

    def begin(self, work: Work, items: Sequence[Item]) -> None:
        """The generic header."""
        if work.request.dry_run:
            self.out(f"DRY RUN: {len(items)} {self.kind.subject_word} (nothing changed)")

    def item(self, index: int, total: int, item: Item, outcome: Outcome) -> None:
        """One line per item."""
        detail = f": {outcome.detail}" if outcome.detail else ""
        self.out(f"[{index}/{total}] {item.subject.value} {item.id} {outcome.state.value}{detail}")

    def end(self, result: RunResult) -> None:
        """The generic summary."""
        t = result.tally
        self.out(RULE)
        for state in ItemState:
            if t.of(state):
                self.out(f"{state.value.title()}: {t.of(state)}")
        self.out(f"Operation: {result.operation_id}")

    def exit_code(self, result: RunResult) -> int:
        """0 unless an item failed."""
        return 1 if result.tally.of(ItemState.FAILED) else 0
