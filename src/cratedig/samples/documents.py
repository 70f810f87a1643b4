"""A sample, its creator and its progress as the API shows them: plain JSON-ready dicts with
the fields of schemas.SampleOut / SampleProgress in their order.

One implementation for both ways in: ORM objects (service.sample_out validates the dict into
the pydantic model) and the Core rows of samples.reads (encoded straight to JSON).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Row

from cratedig.artifacts import (
    AVATAR_LARGE,
    AVATAR_MEDIUM,
    AVATAR_THUMB,
    SAMPLE_ARTIFACTS,
    is_external,
)
from cratedig.pipeline.tracking import STEPS, step_number
from cratedig.public_errors import public_error_message
from cratedig.samples.corrections import analysis_of, corrections_of
from cratedig.samples.reads import CREATOR_COLUMNS, CREATOR_PREFIX, STEP_PREFIX
from cratedig.samples.schemas import SampleOut
from cratedig.storage import Storage

Document = dict[str, Any]
_URL_FIELDS = {artifact.url_field: artifact for artifact in SAMPLE_ARTIFACTS}
# Samples analysed before candidates were kept have none (NULL): shown as [], not an error.
_LISTS = {"bpm_candidates", "key_candidates"}
_DERIVED = {"tags", "creator", "error_message", *_URL_FIELDS, *_LISTS}
# SampleOut's fields in order, each a column copied as it is unless derived.
_FIELDS = tuple((name, name in _DERIVED) for name in SampleOut.model_fields)
_CREATOR_COLUMNS = tuple(column.name for column in CREATOR_COLUMNS)  # _creator's order


class StepFields(NamedTuple):
    """One recorded step of a generation, as progress_document reads it."""

    step: str
    step_index: int
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    error: str | None


def media_url(storage: Storage, key: str | None, version: int | str | None) -> str | None:
    """The browser URL of a key, with `?v=` so a reprocessed object is never served stale.

    An external URL (a library imported before its media migration) is returned as it is."""
    if key is None:
        return None
    if is_external(key):
        return key
    url = storage.public_url(key)
    if version is None:
        return url
    return f"{url}{'&' if '?' in url else '?'}v={version}"


def avatar_version(last_fetched_at: datetime | None) -> int | None:
    """Avatars are refetched in place: their version is when they were fetched."""
    return int(last_fetched_at.timestamp()) if last_fetched_at else None


def creator_document(creator: Any, storage: Storage) -> Document | None:
    """The creator as shown beside a sample (schemas.CreatorSummary), from a Creator or None."""
    if creator is None:
        return None
    return _creator(
        creator.id,
        creator.username,
        creator.nickname,
        creator.verified,
        AVATAR_THUMB.stored(creator),
        creator.last_fetched_at,
        storage,
    )


def sample_document(
    sample: Any, tags: list[str], creator: Document | None, storage: Storage
) -> Document:
    """A sample as the API shows it (schemas.SampleOut): columns, tags, creator, media URLs."""
    return _sample(_Attributes(sample), tags, creator, storage)


def sample_document_of_row(row: Row[Any], storage: Storage) -> Document:
    """A sample document from a samples.reads row (sample, prefixed creator, tags)."""
    # A dict of the row once: reading a Row's attributes one by one costs more than this.
    values = dict(zip(row._fields, row, strict=True))
    creator = None
    if values[CREATOR_PREFIX + "id"] is not None:
        ident, username, nickname, verified, avatar, fetched = (
            values[name] for name in _CREATOR_COLUMNS
        )
        creator = _creator(ident, username, nickname, verified, avatar, fetched, storage)
    return _sample(values, row_tags(values["tags"]), creator, storage)


def sample_detail_document_of_row(row: Row[Any], storage: Storage) -> Document:
    """A detail document (schemas.SampleDetail) from a samples.reads detail row."""
    values = dict(zip(row._fields, row, strict=True))
    document = sample_document_of_row(row, storage)
    if document["creator"] is not None:
        card = {name: values[CREATOR_PREFIX + name] for name in _CARD_FIELDS}
        document["creator"] = _card(document["creator"], card, storage)
    return _with_readings(document, values)


def sample_detail_document(sample: Any, storage: Storage) -> Document:
    """A detail document (schemas.SampleDetail) from an ORM Sample with its creator."""
    creator = creator_document(sample.creator, storage)
    document = sample_document(sample, sample.tags, creator, storage)
    if creator is not None:
        card = {name: getattr(sample.creator, name) for name in _CARD_FIELDS}
        document["creator"] = _card(creator, card, storage)
    return _with_readings(document, _Attributes(sample))


_CARD_FIELDS = (
    "avatar_medium_key",
    "avatar_large_key",
    "last_fetched_at",
    "follower_count",
    "following_count",
    "heart_count",
    "video_count",
)


def _card(creator: Document, values: Mapping[str, Any], storage: Storage) -> Document:
    """The creator summary grown into the card: every avatar size and follower counts."""
    version = avatar_version(values["last_fetched_at"])
    card = dict(creator)
    for avatar in (AVATAR_MEDIUM, AVATAR_LARGE):
        card[avatar.url_field] = media_url(storage, values[avatar.column], version)
    for name in ("follower_count", "following_count", "heart_count", "video_count"):
        card[name] = values[name]
    return card


def _with_readings(document: Document, values: Mapping[str, Any]) -> Document:
    document["analysis"] = analysis_of(values)
    document["corrections"] = corrections_of(values)
    return document


def _sample(
    values: Mapping[str, Any], tags: list[str], creator: Document | None, storage: Storage
) -> Document:
    document: Document = {}
    for name, derived in _FIELDS:
        if not derived:
            document[name] = values[name]
        elif name in _URL_FIELDS:
            key = values[_URL_FIELDS[name].column]
            document[name] = media_url(storage, key, values["generation"])
        elif name in _LISTS:
            document[name] = values[name] or []
        elif name == "tags":
            document[name] = tags
        elif name == "creator":
            document[name] = creator
        else:
            document[name] = public_error_message(values["error_code"], values["error_message"])
    return document


def _creator(
    ident: uuid.UUID,
    username: str,
    nickname: str | None,
    verified: bool,
    avatar_key: str | None,
    last_fetched_at: datetime | None,
    storage: Storage,
) -> Document:
    return {
        "id": ident,
        "username": username,
        "nickname": nickname,
        "verified": verified,
        "avatar_url": media_url(storage, avatar_key, avatar_version(last_fetched_at)),
    }


def row_tags(value: list[str] | str | None) -> list[str]:
    """The tags column of samples.reads, sorted: a PostgreSQL array, or SQLite's JSON text."""
    if value is None:
        return []
    tags: list[str] = orjson.loads(value) if isinstance(value, str) else value
    return sorted(tags)


def progress_document(sample: Any, steps: Iterable[Any]) -> Document:
    """Status, current step (n of N), error and timings per step (schemas.SampleProgress)."""
    number = sample.step_index
    if number is None and sample.step in STEPS:
        number = step_number(sample.step)
    return {
        "id": sample.id,
        "status": sample.status,
        "step": sample.step,
        "step_number": number,
        "step_count": len(STEPS),
        "attempts": sample.attempts,
        "generation": sample.generation,
        "error_code": sample.error_code,
        "error_message": public_error_message(sample.error_code, sample.error_message),
        "processed_at": sample.processed_at,
        "steps": [_step_document(sample, row) for row in steps],
    }


def progress_document_of_rows(rows: list[Row[Any]]) -> Document:
    """A progress document from samples.reads.progress rows (at least one)."""
    steps = [
        StepFields(*(getattr(row, STEP_PREFIX + name) for name in StepFields._fields))
        for row in rows
        if getattr(row, STEP_PREFIX + "step") is not None
    ]
    return progress_document(rows[0], steps)


def _step_document(sample: Any, row: Any) -> Document:
    started, finished = row.started_at, row.finished_at
    return {
        "step": row.step,
        "number": row.step_index,
        "started_at": started,
        "finished_at": finished,
        "duration_seconds": (finished - started).total_seconds() if started and finished else None,
        "attempts": row.attempts,
        # Only the current step's error is known to carry the sample's error code.
        "error": public_error_message(
            sample.error_code if row.step == sample.step else None, row.error
        ),
    }


class _Attributes(Mapping[str, Any]):
    """An object's attributes read as a mapping (an ORM Sample for `_sample`)."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getitem__(self, name: str) -> Any:
        return getattr(self._target, name)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("attributes are read by name only")

    def __len__(self) -> int:
        raise TypeError("attributes are read by name only")
