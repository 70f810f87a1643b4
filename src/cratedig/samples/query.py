"""Listing parameters, keyset cursors and safe full-text queries for the samples repository."""

from __future__ import annotations

import enum
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from cratedig.cursors import InvalidCursorError as InvalidCursorError  # the routes catch it here
from cratedig.cursors import cursor_id, cursor_time, pack_cursor, unpack_cursor
from cratedig.models import SORT_KEYS, SORT_SENTINELS, Sample, SampleStatus

MAX_LIMIT = 100
# A sample being reprocessed keeps serving its published media until its new run publishes:
# a listing of completed (published) samples includes it while it is pending or processing.
REPROCESSING = (SampleStatus.PENDING, SampleStatus.PROCESSING)
STILL_SERVED: ColumnElement[bool] = Sample.mp3_key.is_not(None)
MAX_SEARCH_TERMS = 16
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
# Letters and digits only, as FTS5's unicode61 tokenizer and PostgreSQL's parser split words.
_TERM = re.compile(r"[^\W_]+")


class SampleSort(enum.StrEnum):
    """The orders a sample list can be read in."""

    NEWEST = "newest"
    OLDEST = "oldest"
    POPULAR = "popular"
    BPM_ASC = "bpm_asc"
    BPM_DESC = "bpm_desc"


@dataclass(frozen=True)
class SampleFilters:
    """What to list; status None means every status."""

    status: SampleStatus | None = SampleStatus.COMPLETED
    bpm_min: float | None = None
    bpm_max: float | None = None
    tempo_multiples: bool = False  # also samples whose half or double tempo is in the range
    key: str | None = None
    scale: str | None = None
    keys: tuple[tuple[str, str], ...] = ()  # any of these (key, scale) pairs
    tags: tuple[str, ...] = ()
    creator: str | None = None
    creator_id: uuid.UUID | None = None
    q: str | None = None


BpmRange = tuple[float | None, float | None]
# A sample at t BPM reads as t/2 or 2t in half/double time: its tempo matches a range when t,
# t/2 or 2t falls in it, i.e. when t falls in the range, in twice it, or in half of it.
TEMPO_MULTIPLES = (1.0, 2.0, 0.5)


def bpm_ranges(filters: SampleFilters) -> list[BpmRange]:
    """The BPM ranges a sample's own tempo may fall in (none: no BPM filter)."""
    low, high = filters.bpm_min, filters.bpm_max
    if low is None and high is None:
        return []
    factors = TEMPO_MULTIPLES if filters.tempo_multiples else TEMPO_MULTIPLES[:1]
    return [(None if low is None else low * f, None if high is None else high * f) for f in factors]


@dataclass(frozen=True)
class Page:
    """One page of samples and the cursor of the next page (None on the last)."""

    items: list[Sample]
    next_cursor: str | None


@dataclass(frozen=True)
class SortSpec:
    """A sort key (NULLs always last), its direction, and id as the tie-breaker.

    A nullable column sorts by COALESCE(column, sentinel) with the sentinel past every real
    value, which puts NULLs last in either direction, keeps keyset comparisons plain, and
    matches an expression index on both SQLite and PostgreSQL (see models.SORT_KEYS).
    """

    column: InstrumentedAttribute[Any]
    descending: bool
    key: ColumnElement[Any] | None = None  # the COALESCE expression for nullable columns

    @property
    def expression(self) -> ColumnElement[Any]:
        """What rows are ordered by."""
        if self.key is not None:
            return self.key
        column: ColumnElement[Any] = self.column.expression
        return column

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY clauses: the sort key, then id in the same direction."""
        key = self.expression.desc() if self.descending else self.expression.asc()
        ident = Sample.id.desc() if self.descending else Sample.id.asc()
        return [key, ident]

    def after(self, value: Any, ident: Any) -> ColumnElement[bool]:
        """Rows strictly after (value, ident) in this order."""
        key = self.expression
        id_after = Sample.id < ident if self.descending else Sample.id > ident
        beyond = key < value if self.descending else key > value
        return or_(beyond, and_(key == value, id_after))

    def cursor_value(self, sample: Sample) -> Any:
        """The sample's sort value, as the query sees it (sentinel for NULL)."""
        value = getattr(sample, self.column.key)
        if value is None and self.key is not None:
            return SORT_SENTINELS[(self.column.key, self.descending)]
        return value


SORTS = {
    SampleSort.NEWEST: SortSpec(Sample.created_at, descending=True),
    SampleSort.OLDEST: SortSpec(Sample.created_at, descending=False),
    SampleSort.POPULAR: SortSpec(Sample.view_count, True, SORT_KEYS["view_count_desc"]),
    SampleSort.BPM_ASC: SortSpec(Sample.bpm, False, SORT_KEYS["bpm_asc"]),
    SampleSort.BPM_DESC: SortSpec(Sample.bpm, True, SORT_KEYS["bpm_desc"]),
}


def encode_cursor(sort: SampleSort, sample: Sample) -> str:
    """An opaque cursor after `sample` in `sort` order."""
    return cursor_after(sort, SORTS[sort].cursor_value(sample), sample.id)


def cursor_after(sort: SampleSort, value: Any, ident: uuid.UUID) -> str:
    """An opaque cursor after the row with this sort value (as the query sees it) and id."""
    return pack_cursor([sort.value, value, ident.hex])


def decode_cursor(sort: SampleSort, cursor: str) -> tuple[Any, uuid.UUID]:
    """The (sort value, id) a cursor from encode_cursor carries."""
    sort_name, value, ident = unpack_cursor(cursor, 3)
    parsed_id = cursor_id(ident)
    if sort_name != sort.value:
        raise InvalidCursorError(f"cursor is for sort {sort_name!r}, not {sort.value!r}")
    if SORTS[sort].column.key == "created_at":
        return cursor_time(value), parsed_id
    return _sort_number(SORTS[sort], value), parsed_id


def _sort_number(spec: SortSpec, value: Any) -> int | float:
    """A cursor's number, checked against what the column can hold: a value past it would
    overflow the database driver (SQLite) or the column type (PostgreSQL bigint)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidCursorError("cursor value is not a number")
    if isinstance(value, int):
        if not BIGINT_MIN <= value <= BIGINT_MAX:
            raise InvalidCursorError("cursor value is out of range")
        return value if isinstance(spec.column.type, Integer) else float(value)
    if isinstance(spec.column.type, Integer):
        raise InvalidCursorError("cursor value is not a whole number")
    number = float(value)
    if not math.isfinite(number):  # json reads NaN and Infinity
        raise InvalidCursorError("cursor value is not a finite number")
    return number


def is_published() -> ColumnElement[bool]:
    """Completed, or being reprocessed with its published media still served."""
    return or_(
        Sample.status == SampleStatus.COMPLETED, and_(Sample.status.in_(REPROCESSING), STILL_SERVED)
    )


def search_terms(text: str) -> list[str]:
    """The words of a user's search text, lower-cased; every punctuation mark drops out."""
    return [term.lower() for term in _TERM.findall(text)][:MAX_SEARCH_TERMS]


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: every term, as a quoted prefix (no operators possible)."""
    return " ".join(f'"{term}"*' for term in terms)


def tsquery(terms: list[str]) -> str:
    """A to_tsquery expression: every term, as a quoted prefix."""
    return " & ".join(f"'{term}':*" for term in terms)


def check_limit(limit: int) -> int:
    """Reject page sizes outside 1..MAX_LIMIT."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit
