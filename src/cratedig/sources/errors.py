"""Stable, recorded reasons for a source failing, and whether retrying can help."""

from __future__ import annotations

from enum import StrEnum


class SourceErrorCode(StrEnum):
    """Why a source could not be fetched; stored on the sample as `error_code`."""

    INVALID_URL = "invalid_url"
    HOST_NOT_ALLOWED = "host_not_allowed"
    NOT_FOUND = "not_found"
    PRIVATE = "private"
    LOGIN_REQUIRED = "login_required"
    REGION_BLOCKED = "region_blocked"
    IP_BLOCKED = "ip_blocked"
    RATE_LIMITED = "rate_limited"
    UNSUPPORTED_POST = "unsupported_post"
    UNSUPPORTED_MEDIA = "unsupported_media"
    TOO_LARGE = "too_large"
    NETWORK = "network"
    MEDIA_EXPIRED = "media_expired"


# Only these can succeed on a later attempt without anyone changing anything.
RETRYABLE = frozenset(
    {SourceErrorCode.NETWORK, SourceErrorCode.RATE_LIMITED, SourceErrorCode.MEDIA_EXPIRED}
)


class SourceError(Exception):
    """A source failed for a known reason; the message is one line a user can act on."""

    def __init__(self, code: SourceErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[SourceError], tuple[SourceErrorCode, str]]:
        # Workflow engines pickle step errors; keep the code through the round trip.
        return (SourceError, (self.code, str(self)))

    @property
    def retryable(self) -> bool:
        """True when the same request may succeed later (network trouble, throttling)."""
        return self.code in RETRYABLE
