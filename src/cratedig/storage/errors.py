"""Typed storage errors: callers never see a backend's own exception types."""

from __future__ import annotations


class StorageError(Exception):
    """An object storage operation failed; the message says which and why, never a secret."""


class ObjectNotFound(StorageError):  # noqa: N818 (the name reads better than ...Error at call sites)
    """The object does not exist."""

    def __init__(self, key: str) -> None:
        super().__init__(f"object not found: {key}")
        self.key = key


class InvalidKey(StorageError, ValueError):  # noqa: N818
    """A key or prefix is unsafe or malformed (empty, absolute, '..', backslash, NUL...)."""
