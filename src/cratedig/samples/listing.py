"""The SQL of a filtered keyset listing, built once per filter shape.

A listing's statement depends only on which filters are set (its shape), never on their
values: every value is a named bound parameter. So the statement is built once per shape
and kept, and a request only computes its parameters. Building a statement (and its cache
key) in SQLAlchemy costs more than PostgreSQL takes to run it.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    exists,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from cratedig.models import (
    Creator,
    Sample,
    SampleStatus,
    SampleTag,
    normalize_tags,
    normalize_username,
)
from cratedig.samples.query import (
    REPROCESSING,
    SORTS,
    STILL_SERVED,
    SampleFilters,
    SampleSort,
    bpm_ranges,
    decode_cursor,
    fts5_query,
    search_terms,
    tsquery,
)

# Up to this many text matches are passed to the list query as ids; more go as a subquery.
MAX_LISTED_MATCHES = 5000
Reader = Session | Connection
Parameters = dict[str, Any]
# The page size goes into the SQL text (one statement per page size), not as a parameter:
# with LIMIT a parameter, PostgreSQL judged the generic plan of a prepared listing costlier
# than its custom plans and planned every execution again (about 0.7 ms, more than running
# it); with the number in the text it keeps one plan (unfiltered page 3.3 -> 1.4 ms here).
PAGE_LIMIT = bindparam("limit", type_=Integer, literal_execute=True)


@dataclass(frozen=True)
class Shape:
    """Which filters a listing sets (not their values): one statement per shape."""

    dialect: str
    status: SampleStatus | None
    sort: SampleSort | None = None  # None: no order, no keyset (a count)
    after: bool = False  # a cursor
    bpm: tuple[tuple[bool, bool], ...] = ()  # per BPM range: has a low, has a high bound
    key: bool = False
    scale: bool = False
    keys: int = 0  # how many (key, scale) pairs
    creator: bool = False
    creator_id: bool = False
    tags: bool = False
    text: str | None = None  # "ids": the matches' ids as a parameter; "search": a subquery


def listing_of(
    reader: Reader,
    filters: SampleFilters,
    sort: SampleSort | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[Shape, Parameters]:
    """The shape of this listing and its parameters (a text search is looked up first)."""
    params: Parameters = {}
    ranges = bpm_ranges(filters)
    for number, (low, high) in enumerate(ranges):
        params[f"bpm_low_{number}"], params[f"bpm_high_{number}"] = low, high
    for number, (key, scale) in enumerate(filters.keys):
        params[f"key_{number}"], params[f"scale_{number}"] = key, scale
    tags = normalize_tags(list(filters.tags))
    shape = Shape(
        _dialect(reader),
        filters.status,
        sort,
        bpm=tuple((low is not None, high is not None) for low, high in ranges),
        key=bool(filters.key),
        scale=bool(filters.scale),
        keys=len(filters.keys),
        creator=bool(filters.creator),
        creator_id=filters.creator_id is not None,
        tags=bool(tags),
    )
    params |= {"key": filters.key, "scale": filters.scale, "creator_id": filters.creator_id}
    params["creator"] = normalize_username(filters.creator) if filters.creator else None
    params["tags"] = sorted(tags)
    if sort is not None:
        params["limit"] = None if limit is None else limit + 1
        if cursor:
            params["after_value"], params["after_id"] = decode_cursor(sort, cursor)
            shape = replace(shape, after=True)
    terms = search_terms(filters.q or "")
    if terms:
        params["q"] = _text_query(shape.dialect, terms)
        ids = list(reader.scalars(_matches_query(shape.dialect), {"q": params["q"]}))
        if len(ids) > MAX_LISTED_MATCHES:
            shape = replace(shape, text="search")
        else:
            shape, params["matches"] = replace(shape, text="ids"), ids
    return shape, params


@functools.lru_cache(maxsize=512)
def filtered(shape: Shape) -> Select[Sample]:
    """Samples matching the shape's filters (any status when the shape's is None)."""
    conditions: list[ColumnElement[bool]] = []
    if shape.status is not None:
        conditions.append(Sample.status == shape.status)
    if shape.bpm:
        conditions.append(_in_ranges(Sample.bpm.expression, shape.bpm))
    if shape.key:
        conditions.append(Sample.key == bindparam("key"))
    if shape.scale:
        conditions.append(Sample.scale == bindparam("scale"))
    if shape.keys:
        conditions.append(any_key(shape.keys))
    if shape.creator_id:
        conditions.append(Sample.creator_id == bindparam("creator_id"))
    if shape.creator:
        by_name = select(Creator.id).where(Creator.username == bindparam("creator"))
        conditions.append(Sample.creator_id.in_(by_name.scalar_subquery()))
    if shape.tags:
        # EXISTS probes the (sample_id, tag) key row by row in sort order, stopping at
        # the page size; IN (subquery) would first collect every tagged sample.
        wanted = SampleTag.tag.in_(bindparam("tags", expanding=True))
        conditions.append(exists().where(SampleTag.sample_id == Sample.id, wanted))
    if shape.text:
        conditions.append(_text_condition(shape))
    return select(Sample).where(*conditions)


@functools.lru_cache(maxsize=512)
def page_parts(shape: Shape) -> tuple[Select[Sample], ...]:
    """The queries whose merged rows, in the shape's sort order, make one page: up to
    `limit` samples each, ordered by an index. Listing the published (completed) samples
    takes three: the completed ones, and those pending or processing whose published media
    are still served."""
    assert shape.sort is not None, "a page has a sort order"
    parts: list[tuple[SampleStatus | None, ColumnElement[bool] | None]] = [(shape.status, None)]
    if shape.status is SampleStatus.COMPLETED:
        parts += [(status, STILL_SERVED) for status in REPROCESSING]
    spec = SORTS[shape.sort]
    matching = filtered(replace(shape, status=None, sort=None, after=False))
    queries = []
    for status, condition in parts:
        query = matching
        if status is not None:
            query = query.where(Sample.status == status)
        if condition is not None:
            query = query.where(condition)
        if spec.key is not None and spec.column.key == "bpm" and shape.bpm:
            # Repeat the BPM ranges on the sort key: the expression index then bounds the scan.
            query = query.where(_in_ranges(spec.expression, shape.bpm))
        if shape.after:
            query = query.where(spec.after(bindparam("after_value"), bindparam("after_id")))
        queries.append(query.order_by(*spec.order_by()).limit(PAGE_LIMIT))
    return tuple(queries)


def any_key(count: int) -> ColumnElement[bool]:
    """A sample in any of `count` (key, scale) pairs (parameters key_N, scale_N)."""
    return or_(
        *(
            and_(Sample.key == bindparam(f"key_{n}"), Sample.scale == bindparam(f"scale_{n}"))
            for n in range(count)
        )
    )


def _in_ranges(value: ColumnElement[Any], bounds: tuple[tuple[bool, bool], ...]) -> Any:
    """`value` inside any of the ranges (parameters bpm_low_N / bpm_high_N, inclusive)."""
    conditions = []
    for number, (low, high) in enumerate(bounds):
        limits = []
        if low:
            limits.append(value >= bindparam(f"bpm_low_{number}"))
        if high:
            limits.append(value <= bindparam(f"bpm_high_{number}"))
        conditions.append(and_(*limits))
    return or_(*conditions)


def _text_condition(shape: Shape) -> ColumnElement[bool]:
    """Samples matching the text. The matches are fetched first (listing_of): planners
    cannot see how few they usually are, and would otherwise walk the sort index testing
    every row. Too many go as a subquery."""
    if shape.text == "search":
        return Sample.id.in_(select(_matches_subquery(shape.dialect).c.sample_id))
    if shape.dialect == "postgresql":
        # One array parameter, not one per id: the statement stays the same text whatever
        # the matches, so the driver parses it once and may prepare it.
        return Sample.id == any_(bindparam("matches", type_=ARRAY(Sample.id.type)))
    return Sample.id.in_(bindparam("matches", expanding=True))


@functools.cache
def _matches_query(dialect: str) -> Select[tuple[uuid.UUID]]:
    matches = _matches_subquery(dialect)
    return select(matches.c.sample_id).limit(MAX_LISTED_MATCHES + 1)


def _matches_subquery(dialect: str) -> Any:
    """The ids of samples whose text matches parameter q (every term, as a prefix)."""
    if dialect == "sqlite":
        found = text("SELECT sample_id FROM samples_fts WHERE samples_fts MATCH :q")
    else:
        found = text(
            "SELECT sample_id FROM sample_search"
            " WHERE document @@ to_tsquery('simple'::regconfig, unaccent(:q))"
        )
    return found.bindparams(bindparam("q")).columns(sample_id=Sample.id.type).subquery()


def _text_query(dialect: str, terms: list[str]) -> str:
    return fts5_query(terms) if dialect == "sqlite" else tsquery(terms)


def _dialect(reader: Reader) -> str:
    return reader.get_bind().dialect.name if isinstance(reader, Session) else reader.dialect.name
