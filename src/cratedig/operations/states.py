"""The values every part of an operation shares: item states, subjects, what was chosen and
what became of each item. Plain data, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class OperationStatus(StrEnum):
    """Where a run is."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class ItemState(StrEnum):
    """What became of one sample or creator."""

    PENDING = "pending"
    QUEUED = "queued"  # reprocess: its pipeline is enqueued
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class Subject(StrEnum):
    """What an item is."""

    SAMPLE = "sample"
    CREATOR = "creator"


@dataclass(frozen=True)
class Item:
    """One sample or creator an operation works on; `reason` says why it was chosen."""

    subject: Subject
    id: uuid.UUID
    reason: str | None = None


@dataclass
class Selection:
    """What a kind chose: the items, those it passed over (with why), and what it found."""

    items: list[Item] = field(default_factory=list)
    skipped: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    found: int | None = None  # how many need the work, before the limit (when it differs)
    note: str | None = None  # why nothing was chosen, when one subject was asked for

    def count(self, subject: Subject) -> int:
        """How many items of this subject."""
        return sum(1 for item in self.items if item.subject is subject)


@dataclass(frozen=True)
class Outcome:
    """What became of one item; `facts` is the kind's own value for its report."""

    state: ItemState
    detail: str | None = None
    facts: Any = None
    generation: int | None = None  # reprocess: the generation its pipeline runs
    flag: str | None = None  # a mark the kind counts apart (e.g. an expired link)


@dataclass
class Tally:
    """Items per outcome state, for a run's summary."""

    total: int = 0
    counts: dict[tuple[Subject, ItemState], int] = field(default_factory=dict)
    flags: dict[tuple[Subject, str], int] = field(default_factory=dict)

    def add(self, item: Item, outcome: Outcome) -> None:
        """Count one outcome."""
        key = (item.subject, outcome.state)
        self.counts[key] = self.counts.get(key, 0) + 1
        if outcome.flag is not None:
            flag = (item.subject, outcome.flag)
            self.flags[flag] = self.flags.get(flag, 0) + 1

    def of(self, state: ItemState, subject: Subject | None = None) -> int:
        """How many items (of `subject`, or all) ended in `state`."""
        return sum(n for (s, st), n in self.counts.items() if st is state and subject in (None, s))

    def flagged(self, flag: str, subject: Subject = Subject.SAMPLE) -> int:
        """How many items of `subject` carry `flag`."""
        return self.flags.get((subject, flag), 0)


class SubjectNotFoundError(LookupError):
    """The one subject a request names does not exist (the API answers 404)."""

    def __init__(self, subject: Subject, subject_id: uuid.UUID, field_name: str) -> None:
        super().__init__(f"no {subject.value} {subject_id}")
        self.field_name = field_name
