"""Opaque keyset cursors: a JSON list in URL-safe base64, read back with every value checked."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

# What a tampered cursor raises while being read; each becomes InvalidCursorError.
DECODING_ERRORS = (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError)


class InvalidCursorError(ValueError):
    """A cursor that this listing did not issue (tampered, or for another sort)."""


def pack_cursor(values: list[Any]) -> str:
    """An opaque cursor carrying `values` (JSON-able; datetimes as ISO text)."""
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    payload = orjson.dumps(plain)  # compact, as json.dumps with separators=(",", ":")
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def unpack_cursor(cursor: str, length: int) -> list[Any]:
    """The `length` values a cursor from pack_cursor carries."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except DECODING_ERRORS as exc:
        raise InvalidCursorError("malformed cursor") from exc
    if not isinstance(values, list) or len(values) != length:
        raise InvalidCursorError("malformed cursor")
    return values


def cursor_time(value: Any) -> datetime:
    """A cursor's time, in UTC; one without a zone, or past the calendar in UTC, is refused."""
    try:
        when = datetime.fromisoformat(str(value))
        if when.tzinfo is None:
            raise InvalidCursorError("cursor time has no zone")
        return when.astimezone(UTC)  # 0001-01-01 east of UTC overflows here, not in SQL
    except InvalidCursorError:
        raise
    except DECODING_ERRORS as exc:
        raise InvalidCursorError("malformed cursor") from exc


def cursor_id(value: Any) -> uuid.UUID:
    """A cursor's row id (32 hex digits)."""
    if not isinstance(value, str):
        raise InvalidCursorError("cursor id is not a string")
    try:
        return uuid.UUID(hex=value)
    except ValueError as exc:
        raise InvalidCursorError("malformed cursor") from exc
