"""The SQL of the public read routes: Core SELECTs of only the columns the API shows, one
round trip per request (the sample, its creator and its tags in one row; a page in one
statement), on a read connection (db.make_read_engine). No ORM objects are built.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Label,
    Row,
    Select,
    and_,
    bindparam,
    func,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.types import NullType

from cratedig.artifacts import SAMPLE_ARTIFACTS
from cratedig.models import Creator, Sample, SampleStep, SampleTag
from cratedig.samples.query import SORTS, SampleFilters, SampleSort, check_limit
from cratedig.samples.repository import page_queries
from cratedig.samples.schemas import SampleOut

CREATOR_PREFIX = "creator__"
STEP_PREFIX = "step__"
# The columns of SampleOut that are columns of the table, and what the other fields derive
# from: the artifacts' keys (URLs), the error code (public message), the creator's id.
SAMPLE_COLUMNS = tuple(
    Sample.__table__.c[name]
    for name in dict.fromkeys(
        [
            *(name for name in SampleOut.model_fields if name in Sample.__table__.c),
            *(artifact.column for artifact in SAMPLE_ARTIFACTS),
            "error_code",
            "creator_id",
        ]
    )
)
# What a sample shows of its creator (samples.documents.creator_document).
CREATOR_COLUMNS = tuple(
    Creator.__table__.c[name].label(CREATOR_PREFIX + name)
    for name in ("id", "username", "nickname", "verified", "avatar_thumb_key", "last_fetched_at")
)
# What the detail shows on top: the analysis' reading, the corrections, the creator card.
DETAIL_COLUMNS = tuple(
    Sample.__table__.c[f"{kind}_{name}"]
    for kind in ("analysed", "corrected")
    for name in ("bpm", "key", "scale")
)
CARD_COLUMNS = tuple(
    Creator.__table__.c[name].label(CREATOR_PREFIX + name)
    for name in (
        "avatar_medium_key",
        "avatar_large_key",
        "follower_count",
        "following_count",
        "heart_count",
        "video_count",
    )
)
PROGRESS_COLUMNS = tuple(
    Sample.__table__.c[name]
    for name in (
        "id",
        "status",
        "step",
        "step_index",
        "attempts",
        "generation",
        "error_code",
        "error_message",
        "processed_at",
    )
)
STEP_COLUMNS = tuple(
    SampleStep.__table__.c[name].label(STEP_PREFIX + name)
    for name in ("step", "step_index", "started_at", "finished_at", "attempts", "error")
)


class SampleReads:
    """Reads for the public routes on one connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def detail(self, sample_id: uuid.UUID) -> Row[Any] | None:
        """The sample's shown columns, its creator's (prefixed) and its tags, or None."""
        query = _detail_query(self.connection.dialect.name)
        result = self.connection.execute(query, {"sample_id": sample_id})
        row: Row[Any] | None = result.first()
        return row

    def progress(self, sample_id: uuid.UUID) -> list[Row[Any]]:
        """The sample's progress columns, one row per recorded step of its current
        generation (prefixed step columns, None when no step is recorded); [] if no sample."""
        return list(self.connection.execute(_PROGRESS_QUERY, {"sample_id": sample_id}))

    def page(
        self, filters: SampleFilters, sort: SampleSort, cursor: str | None, limit: int
    ) -> list[Row[Any]]:
        """Up to limit + 1 rows of a listing after `cursor`, each with its creator, tags and
        `sort_key` (the value a cursor carries), in one statement: the index-ordered parts of
        repository.page_queries pick ids and sort keys, merged and joined by the database."""
        check_limit(limit)
        spec = SORTS[sort]
        sort_key: Label[Any] = spec.expression.label("sort_key")
        # Only two columns go through the subqueries: building a subquery's column
        # collection costs per column, every request.
        parts = [
            query.with_only_columns(Sample.id, sort_key)
            for query in page_queries(self.connection, filters, sort, cursor, limit)
        ]
        page = _merged(parts, self.connection.dialect.name).subquery("page")
        samples, creators = Sample.__table__, Creator.__table__
        key, ident = page.c.sort_key, page.c.id
        query = (
            select(*SAMPLE_COLUMNS, key, *CREATOR_COLUMNS, self._tags(samples.c.id))
            .select_from(
                page.join(samples, samples.c.id == ident).outerjoin(
                    creators, creators.c.id == samples.c.creator_id
                )
            )
            .order_by(*((key.desc(), ident.desc()) if spec.descending else (key, ident)))
            .limit(limit + 1)
        )
        return list(self.connection.execute(query))

    def _tags(self, sample_id: ColumnElement[Any]) -> Label[Any]:
        return _tags(sample_id, self.connection.dialect.name)


def _tags(sample_id: ColumnElement[Any], dialect: str) -> Label[Any]:
    """The sample's tags in one column: an array on PostgreSQL, a JSON array on SQLite."""
    tags = SampleTag.__table__
    if dialect == "sqlite":
        found = select(func.json_group_array(tags.c.tag)).where(tags.c.sample_id == sample_id)
        return found.scalar_subquery().label("tags")
    found = select(func.array_agg(tags.c.tag)).where(tags.c.sample_id == sample_id)
    # psycopg already returns a list of str: no per-item result processing.
    return type_coerce(found.scalar_subquery(), NullType()).label("tags")


# The statements of the detail and status routes are built once: building one (and its cache
# key) costs more than running it. The sample id is their one parameter.
@functools.cache
def _detail_query(dialect: str) -> Select[Any]:
    samples = Sample.__table__
    return (
        select(
            *SAMPLE_COLUMNS,
            *DETAIL_COLUMNS,
            *CREATOR_COLUMNS,
            *CARD_COLUMNS,
            _tags(samples.c.id, dialect),
        )
        .select_from(samples.outerjoin(Creator.__table__))
        .where(samples.c.id == bindparam("sample_id"))
    )


def _progress_query() -> Select[Any]:
    samples, steps = Sample.__table__, SampleStep.__table__
    current = and_(steps.c.sample_id == samples.c.id, steps.c.generation == samples.c.generation)
    return (
        select(*PROGRESS_COLUMNS, *STEP_COLUMNS)
        .select_from(samples.outerjoin(steps, current))
        .where(samples.c.id == bindparam("sample_id"))
        .order_by(steps.c.step_index, steps.c.step)
    )


_PROGRESS_QUERY = _progress_query()


def _merged(parts: Sequence[Select[Any]], dialect: str) -> Select[Any] | CompoundSelect[Any]:
    """One statement for the parts' rows (each part stays ordered and limited by itself)."""
    if len(parts) == 1:
        return parts[0]
    if dialect == "sqlite":  # no parenthesised SELECTs in a compound: each goes in a subquery
        return union_all(*(select(*part.subquery().c) for part in parts))
    return union_all(*parts)
