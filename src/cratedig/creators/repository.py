"""All SQL about creators: lookups, upsert by handle, and a creator's samples.

Repositories flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cratedig.models import Creator, SampleStatus, normalize_username
from cratedig.samples.query import Page, SampleFilters, SampleSort
from cratedig.samples.repository import SampleRepository

# Columns an upsert may set; identity and bookkeeping columns are the repository's.
UPDATABLE = frozenset(
    column.key
    for column in Creator.__table__.columns
    if column.key not in {"id", "username", "created_at", "updated_at"}
)


class CreatorRepository:
    """Reads and writes creators in the session's current transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, creator_id: uuid.UUID) -> Creator | None:
        """The creator with this id."""
        return self.session.get(Creator, creator_id)

    def get_by_username(self, username: str) -> Creator | None:
        """The creator with this handle (any case, with or without '@')."""
        query = select(Creator).where(Creator.username == normalize_username(username))
        return self.session.scalars(query).one_or_none()

    def get_by_source_id(self, source_id: str) -> Creator | None:
        """The creator with this platform user id."""
        return self.session.scalars(
            select(Creator).where(Creator.source_id == source_id)
        ).one_or_none()

    def upsert_by_username(self, username: str, **fields: Any) -> Creator:
        """Create or update the creator with this handle; None values leave a field as is."""
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise TypeError(f"not creator fields: {', '.join(sorted(unknown))}")
        handle = normalize_username(username)
        if not handle:
            raise ValueError("empty creator username")
        creator = self.get_by_username(handle)
        if creator is None:
            creator = Creator(username=handle)
            try:
                # A savepoint, so a concurrent insert of the same handle keeps our transaction.
                with self.session.begin_nested():
                    self.session.add(creator)
            except IntegrityError:
                creator = self.get_by_username(handle)
                if creator is None:
                    raise
        for name, value in fields.items():
            if value is not None:
                setattr(creator, name, value)
        self.session.flush()
        return creator

    def upsert_profile(self, username: str, source_id: str | None, **fields: Any) -> Creator:
        """Upsert by the platform's user id first: a creator who changed their handle is the
        same creator, renamed (unless another row already holds the new handle)."""
        known = self.get_by_source_id(source_id) if source_id else None
        if known is None:
            return self.upsert_by_username(username, source_id=source_id, **fields)
        handle = normalize_username(username)
        if handle and handle != known.username and self.get_by_username(handle) is None:
            known.username = handle
        for name, value in fields.items():
            if name not in UPDATABLE:
                raise TypeError(f"not a creator field: {name}")
            if value is not None:
                setattr(known, name, value)
        self.session.flush()
        return known

    def samples_of(
        self,
        creator: Creator,
        *,
        status: SampleStatus | None = SampleStatus.COMPLETED,
        sort: SampleSort = SampleSort.NEWEST,
        cursor: str | None = None,
        limit: int = 24,
    ) -> Page:
        """One page of the creator's samples."""
        filters = SampleFilters(status=status, creator_id=creator.id)
        return SampleRepository(self.session).list_samples(filters, sort, cursor, limit)
