"""All SQL about samples: lookups, filtered keyset listing, full-text search, tags, steps.

Repositories flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Subquery,
    and_,
    any_,
    bindparam,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from cratedig.models import (
    Creator,
    Sample,
    SampleSource,
    SampleStatus,
    SampleStep,
    SampleTag,
    normalize_tags,
    normalize_username,
)
from cratedig.samples.harmony import compatible_keys
from cratedig.samples.query import (
    REPROCESSING,
    SORTS,
    STILL_SERVED,
    TEMPO_MULTIPLES,
    BpmRange,
    Page,
    SampleFilters,
    SampleSort,
    bpm_ranges,
    check_limit,
    decode_cursor,
    encode_cursor,
    fts5_query,
    in_bpm_ranges,
    is_published,
    search_terms,
    tsquery,
)
from cratedig.samples.similarity import TEMPO_TOLERANCE, ranked

# The newest this many matching samples are ranked for "similar".
SIMILAR_CANDIDATES = 200
# Up to this many text matches are passed to the list query as ids; more go as a subquery.
MAX_LISTED_MATCHES = 5000


@dataclass(frozen=True)
class TagCount:
    """A tag and how many samples carry it."""

    tag: str
    count: int


class SampleRepository:
    """Reads and writes samples in the session's current transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, sample: Sample) -> Sample:
        """Insert a new sample (IntegrityError if its source and source_id exist)."""
        self.session.add(sample)
        self.session.flush()
        return sample

    def get_or_add(self, sample: Sample) -> tuple[Sample, bool]:
        """The stored sample with the same source and source_id, else `sample` inserted."""
        existing = self.get_by_source(sample.source, sample.source_id)
        if existing is not None:
            return existing, False
        try:
            # A savepoint, so losing a race with a concurrent submit keeps the transaction.
            with self.session.begin_nested():
                self.session.add(sample)
        except IntegrityError:
            existing = self.get_by_source(sample.source, sample.source_id)
            if existing is None:
                raise
            return existing, False
        return sample, True

    def get(self, sample_id: uuid.UUID) -> Sample | None:
        """The sample with this id, with its creator."""
        return self.session.get(Sample, sample_id, options=[joinedload(Sample.creator)])

    def get_by_source(self, source: SampleSource, source_id: str) -> Sample | None:
        """The sample made from this source's video id."""
        query = select(Sample).where(Sample.source == source, Sample.source_id == source_id)
        return self.session.scalars(query.options(joinedload(Sample.creator))).one_or_none()

    def list_samples(
        self,
        filters: SampleFilters | None = None,
        sort: SampleSort = SampleSort.NEWEST,
        cursor: str | None = None,
        limit: int = 24,
    ) -> Page:
        """One page of samples matching `filters`, in `sort` order, after `cursor`."""
        check_limit(limit)
        rows: list[Sample] = []
        parts = page_queries(self.session, filters or SampleFilters(), sort, cursor, limit)
        for part in parts:  # one index-ordered query each, merged here
            query = part.options(joinedload(Sample.creator))
            rows += self.session.scalars(query).unique()
        if len(parts) > 1:
            spec = SORTS[sort]
            rows.sort(key=lambda s: (spec.cursor_value(s), s.id), reverse=spec.descending)
            rows = rows[: limit + 1]
        items = rows[:limit]
        next_cursor = encode_cursor(sort, items[-1]) if len(rows) > limit else None
        return Page(items=items, next_cursor=next_cursor)

    def similar_to(self, sample: Sample, limit: int = 8) -> list[Sample]:
        """Published samples within ±6 % of this one's tempo (or of half or double it) in a
        compatible key, nearest tempo first, then the closer key, then more shared tags."""
        query = select(Sample).where(is_published(), Sample.id != sample.id)
        if sample.key and sample.scale:
            query = query.where(_any_key(compatible_keys(sample.key, sample.scale)))
        if sample.bpm:
            low, high = sample.bpm * (1 - TEMPO_TOLERANCE), sample.bpm * (1 + TEMPO_TOLERANCE)
            ranges: list[BpmRange] = [(low * f, high * f) for f in TEMPO_MULTIPLES]
            query = query.where(in_bpm_ranges(Sample.bpm.expression, ranges))
        query = query.order_by(Sample.created_at.desc(), Sample.id).limit(SIMILAR_CANDIDATES)
        candidates = list(self.session.scalars(query.options(joinedload(Sample.creator))).unique())
        return ranked(sample, candidates)[:limit]

    def count(self, filters: SampleFilters | None = None) -> int:
        """How many samples match `filters`."""
        filters = filters or SampleFilters()
        if filters.status is SampleStatus.COMPLETED:
            query = filtered(self.session, replace(filters, status=None)).where(is_published())
        else:
            query = filtered(self.session, filters)
        query = query.with_only_columns(func.count())
        return self.session.scalar(query.order_by(None)) or 0

    def set_tags(self, sample: Sample, tags: Sequence[str]) -> None:
        """Replace the sample's tags (normalized: lower case, no '#', no duplicates)."""
        sample.tags = list(tags)
        self.session.flush()

    def popular_tags(
        self, limit: int = 20, status: SampleStatus | None = SampleStatus.COMPLETED
    ) -> list[TagCount]:
        """The most used tags among samples in `status`, most used first."""
        count = func.count().label("n")
        query = select(SampleTag.tag, count).join(Sample, Sample.id == SampleTag.sample_id)
        if status is not None:
            query = query.where(Sample.status == status)
        query = query.group_by(SampleTag.tag).order_by(count.desc(), SampleTag.tag).limit(limit)
        return [TagCount(tag, n) for tag, n in self.session.execute(query)]

    def record_step(
        self,
        sample_id: uuid.UUID,
        generation: int,
        step: str,
        step_index: int,
        *,
        started_at: datetime | None = None,
        finished_at: datetime | None = None,
        error: str | None = None,
    ) -> SampleStep:
        """Note a step's start (a new attempt), finish and/or error for one generation."""
        row = self.session.get(SampleStep, (sample_id, generation, step))
        if row is None:
            row = SampleStep(sample_id=sample_id, generation=generation, step=step, attempts=0)
            self.session.add(row)
        row.step_index = step_index
        if started_at is not None:
            row.started_at = started_at
            row.attempts += 1
            row.finished_at = None
            row.error = None
        if finished_at is not None:
            row.finished_at = finished_at
        if error is not None:
            row.error = error
        self.session.flush()
        return row

    def steps_for(self, sample_id: uuid.UUID, generation: int) -> list[SampleStep]:
        """The step records of one generation of a sample, in pipeline order."""
        query = (
            select(SampleStep)
            .where(SampleStep.sample_id == sample_id, SampleStep.generation == generation)
            .order_by(SampleStep.step_index, SampleStep.step)
        )
        return list(self.session.scalars(query))

    def increment_downloads(self, sample_id: uuid.UUID) -> bool:
        """Count one download atomically; False if there is no such sample."""
        statement = (
            update(Sample)
            .where(Sample.id == sample_id)
            # A download is not an edit: keep updated_at as it is.
            .values(download_count=Sample.download_count + 1, updated_at=Sample.updated_at)
            .execution_options(synchronize_session=False)
        )
        found = self.session.execute(statement).rowcount == 1  # type: ignore[attr-defined]
        cached = self.session.identity_map.get(self.session.identity_key(Sample, sample_id))
        if cached is not None:
            self.session.expire(cached, ["download_count"])
        return bool(found)

    def delete(self, sample: Sample) -> None:
        """Delete a sample; its tags, steps and search entry go with it."""
        self.session.delete(sample)
        self.session.flush()


def _any_key(pairs: Sequence[tuple[str, str]]) -> ColumnElement[bool]:
    """A sample in any of these (key, scale) pairs."""
    return or_(*(and_(Sample.key == key, Sample.scale == scale) for key, scale in pairs))


def page_queries(
    reader: Session | Connection,
    filters: SampleFilters,
    sort: SampleSort,
    cursor: str | None,
    limit: int,
) -> list[Select[Sample]]:
    """The queries whose merged rows, in `sort` order, make one page: up to limit + 1 samples
    each, ordered by an index. Listing the published (completed) samples takes three: the
    completed ones, and those pending or processing whose published media are still served."""
    parts: list[tuple[SampleStatus | None, ColumnElement[bool] | None]] = [(filters.status, None)]
    if filters.status is SampleStatus.COMPLETED:
        parts += [(status, STILL_SERVED) for status in REPROCESSING]
    spec = SORTS[sort]
    after = spec.after(*decode_cursor(sort, cursor)) if cursor else None
    matching = filtered(reader, replace(filters, status=None))  # a text search runs once
    queries = []
    for status, condition in parts:
        query = matching
        if status is not None:
            query = query.where(Sample.status == status)
        if condition is not None:
            query = query.where(condition)
        if spec.key is not None and spec.column.key == "bpm":
            ranges = bpm_ranges(filters)
            if ranges:
                # Repeat the BPM ranges on the sort key: the expression index then bounds the scan.
                query = query.where(in_bpm_ranges(spec.expression, ranges))
        if after is not None:
            query = query.where(after)
        queries.append(query.order_by(*spec.order_by()).limit(limit + 1))
    return queries


def filtered(reader: Session | Connection, filters: SampleFilters) -> Select[Sample]:
    """Samples matching `filters` (a text search is looked up through `reader` first)."""
    query = select(Sample)
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(Sample.status == filters.status)
    ranges = bpm_ranges(filters)
    if ranges:
        conditions.append(in_bpm_ranges(Sample.bpm.expression, ranges))
    if filters.key:
        conditions.append(Sample.key == filters.key)
    if filters.scale:
        conditions.append(Sample.scale == filters.scale)
    if filters.keys:
        conditions.append(_any_key(filters.keys))
    if filters.creator_id is not None:
        conditions.append(Sample.creator_id == filters.creator_id)
    if filters.creator:
        by_name = select(Creator.id).where(Creator.username == normalize_username(filters.creator))
        conditions.append(Sample.creator_id.in_(by_name.scalar_subquery()))
    tags = normalize_tags(list(filters.tags))
    if tags:
        # EXISTS probes the (sample_id, tag) key row by row in sort order, stopping at
        # the page size; IN (subquery) would first collect every tagged sample.
        conditions.append(
            exists().where(SampleTag.sample_id == Sample.id, SampleTag.tag.in_(sorted(tags)))
        )
    terms = search_terms(filters.q or "")
    if terms:
        conditions.append(_text_condition(reader, terms))
    return query.where(*conditions)


def _text_condition(reader: Session | Connection, terms: list[str]) -> ColumnElement[bool]:
    """Samples matching the text. The matches are fetched first: planners cannot see
    how few they usually are, and would otherwise walk the sort index testing every row."""
    dialect = reader.get_bind().dialect if isinstance(reader, Session) else reader.dialect
    matches = _matches(dialect.name, terms)
    ids = list(reader.scalars(select(matches.c.sample_id).limit(MAX_LISTED_MATCHES + 1)))
    if len(ids) > MAX_LISTED_MATCHES:
        return Sample.id.in_(select(matches.c.sample_id))
    if dialect.name == "postgresql":
        # One array parameter, not one per id: the statement stays short and the same text
        # whatever the matches, so the driver parses it once and may prepare it.
        return Sample.id == any_(bindparam("matches", ids, type_=ARRAY(Sample.id.type)))
    return Sample.id.in_(ids)


def _matches(dialect: str, terms: list[str]) -> Subquery:
    """The ids of samples whose text matches every term (as prefixes)."""
    if dialect == "sqlite":
        found = text("SELECT sample_id FROM samples_fts WHERE samples_fts MATCH :q")
        q = fts5_query(terms)
    else:
        found = text(
            "SELECT sample_id FROM sample_search"
            " WHERE document @@ to_tsquery('simple'::regconfig, unaccent(:q))"
        )
        q = tsquery(terms)
    return found.bindparams(bindparam("q", q)).columns(sample_id=Sample.id.type).subquery()
