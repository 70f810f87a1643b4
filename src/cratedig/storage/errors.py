"""Typed storage errors: callers never see a backend's own exception types."""

from __future__ import annotations


class StorageError(Exception):
    """An object storage operation failed; the message says which and why, never a secret."""


class ObjectNotFound(StorageError):  # noqa: N818 (the name reads better than ...Error at call sites)
    """The object does not exist."""

    def __init__(self, key: str) -> None:
        super().__init__(f"object not found: {key}")
        self.key = key

    def __reduce__(self) -> tuple[type[ObjectNotFound], tuple[str]]:
        return (ObjectNotFound, (self.key,))


class InvalidKey(StorageError, ValueError):  # noqa: N818
    """A key or prefix is unsafe or malformed (empty, absolute, '..', backslash, NUL...)."""


class StorageUnavailable(StorageError):  # noqa: N818
    """The storage service could not be reached, timed out or answered 5xx: an outage."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"storage unavailable: {detail}")
        self.detail = detail

    def __reduce__(self) -> tuple[type[StorageUnavailable], tuple[str]]:
        # Workflow engines pickle step errors: rebuild from the detail, not the full message.
        return (StorageUnavailable, (self.detail,))


# How obstore (reqwest underneath) words trouble with the service rather than with a request.
_OUTAGE_SIGNS = (
    "error sending request",
    "connection refused",
    "connection reset",
    "connection closed",
    "broken pipe",
    "timed out",
    "status code: 5",
    "status: 5",
)


def is_outage(error: BaseException) -> bool:
    """Whether a backend error says the service is unreachable or failing (not a bad request)."""
    text = str(error).lower()
    return any(sign in text for sign in _OUTAGE_SIGNS)
