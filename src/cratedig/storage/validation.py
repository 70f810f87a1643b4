"""Key validation (no path traversal, ever) and the HTTP attributes stored with each object."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from cratedig.storage.errors import InvalidKey

CACHE_CONTROL = "public, max-age=31536000, immutable"
MAX_KEY_BYTES = 1024
# Segments of letters, digits, '_', '-' and '.' (never '.' or '..' alone): the shape of every
# key we write. Such a key is valid and needs no percent-encoding in a URL.
_PLAIN_SEGMENT = r"(?!\.\.?(?:/|$))[A-Za-z0-9_.\-]+"
_PLAIN_KEY = re.compile(f"{_PLAIN_SEGMENT}(?:/{_PLAIN_SEGMENT})*")

CONTENT_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


def content_type_for(key: str) -> str | None:
    """Return the Content-Type for a key's extension, or None when unknown."""
    return CONTENT_TYPES.get(PurePosixPath(key).suffix.lower())


def validate_key(key: str) -> str:
    """Return the key unchanged if it is a safe relative object key, else raise InvalidKey."""
    if not isinstance(key, str) or not key:
        raise InvalidKey("object key must be a non-empty string")
    _check_text(key)
    if key.endswith("/"):
        raise InvalidKey(f"object key must not end with '/': {key!r}")
    _check_segments(key)
    return key


def is_plain_key(key: str) -> bool:
    """Whether a key is valid and URL-safe as it is (the fast path of public URLs)."""
    return len(key) <= MAX_KEY_BYTES and _PLAIN_KEY.fullmatch(key) is not None


def validate_prefix(prefix: str, *, allow_empty: bool = False) -> str:
    """Return the prefix without a trailing '/' if it is safe, else raise InvalidKey."""
    if not isinstance(prefix, str):
        raise InvalidKey("prefix must be a string")
    stripped = prefix[:-1] if prefix.endswith("/") else prefix
    if not stripped:
        if allow_empty:
            return ""
        raise InvalidKey("prefix must not be empty")
    _check_text(stripped)
    _check_segments(stripped)
    return stripped


def _check_text(key: str) -> None:
    if key.startswith("/"):
        raise InvalidKey(f"object key must be relative: {key!r}")
    if "\\" in key:
        raise InvalidKey(f"object key must not contain a backslash: {key!r}")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        raise InvalidKey(f"object key must not contain NUL or control characters: {key!r}")
    if len(key.encode("utf-8", errors="replace")) > MAX_KEY_BYTES:
        raise InvalidKey(f"object key is longer than {MAX_KEY_BYTES} bytes")


def _check_segments(key: str) -> None:
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidKey(f"object key has an empty, '.' or '..' segment: {key!r}")
