"""All SQL about samples: lookups, filtered keyset listing, full-text search, tags, steps.

Repositories flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from cratedig.models import Sample, SampleSource, SampleStatus, SampleStep, SampleTag
from cratedig.samples.harmony import compatible_keys
from cratedig.samples.listing import any_key, filtered, listing_of, page_parts
from cratedig.samples.query import (
    SORTS,
    TEMPO_MULTIPLES,
    BpmRange,
    Page,
    SampleFilters,
    SampleSort,
    check_limit,
    encode_cursor,
    is_published,
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
        shape, params = listing_of(self.session, filters or SampleFilters(), sort, cursor, limit)
        parts = page_parts(shape)
        for part in parts:  # one index-ordered query each, merged here
            query = part.options(joinedload(Sample.creator))
            rows += self.session.scalars(query, params).unique()
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
        params: dict[str, str] = {}
        if sample.key and sample.scale:
            pairs = compatible_keys(sample.key, sample.scale)
            query = query.where(any_key(len(pairs)))
            for number, (key, scale) in enumerate(pairs):
                params[f"key_{number}"], params[f"scale_{number}"] = key, scale
        if sample.bpm:
            low, high = sample.bpm * (1 - TEMPO_TOLERANCE), sample.bpm * (1 + TEMPO_TOLERANCE)
            ranges: list[BpmRange] = [(low * f, high * f) for f in TEMPO_MULTIPLES]
            query = query.where(or_(*(Sample.bpm.between(lo, hi) for lo, hi in ranges)))
        query = query.order_by(Sample.created_at.desc(), Sample.id).limit(SIMILAR_CANDIDATES)
        query = query.options(joinedload(Sample.creator))
        candidates = list(self.session.scalars(query, params).unique())
        return ranked(sample, candidates)[:limit]

    def count(self, filters: SampleFilters | None = None) -> int:
        """How many samples match `filters`."""
        filters = filters or SampleFilters()
        published = filters.status is SampleStatus.COMPLETED
        if published:
            filters = replace(filters, status=None)
        shape, params = listing_of(self.session, filters)
        query = filtered(shape).with_only_columns(func.count())
        if published:
            query = query.where(is_published())
        return self.session.scalar(query, params) or 0

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
