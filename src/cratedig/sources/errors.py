"""Stable, recorded reasons for a source failing, and whether retrying can help."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar, Literal


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
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TOO_SLOW = "too_slow"
    UNDER_REVIEW = "under_review"


# Only these can succeed on a later attempt without anyone changing anything.
RETRYABLE = frozenset(
    {
        SourceErrorCode.NETWORK,
        SourceErrorCode.RATE_LIMITED,
        SourceErrorCode.MEDIA_EXPIRED,
        SourceErrorCode.UNDER_REVIEW,
    }
)


class SourceError(Exception):
    """A source failed for a known reason; the message is one line a user can act on."""

    def __init__(self, code: SourceErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[Callable[..., SourceError], tuple[Any, ...]]:
        # Workflow engines pickle step errors; keep the code through the round trip.
        return (SourceError, (self.code, str(self)))

    @property
    def retryable(self) -> bool:
        """True when the same request may succeed later (network trouble, throttling)."""
        return self.code in RETRYABLE


# A redirect loop's code: asking again follows the same loop, so it is not retried.
REDIRECT_LOOP = SourceErrorCode.TOO_MANY_REDIRECTS


class _RequestError(SourceError):
    """A request went wrong in a known way; the class tells how, the code what it means."""

    CODE: ClassVar[SourceErrorCode] = SourceErrorCode.NETWORK

    def __init__(self, message: str) -> None:
        super().__init__(self.CODE, message)

    def __reduce__(self) -> tuple[Callable[..., SourceError], tuple[Any, ...]]:
        return (type(self), (str(self),))


class UnresolvedHostError(_RequestError):
    """A host name that did not resolve."""


class UnreachableError(_RequestError):
    """The connection failed, was refused or was cut."""


class TimedOutError(_RequestError):
    """A connect or read timed out, or the whole transfer passed its deadline."""


class DeadlineError(TimedOutError):
    """A transfer went on past its wall-clock deadline."""


class TooSlowError(DeadlineError):
    """A media download passed its deadline or fell below the minimum pace: the same source
    would be as slow again, so it is not retried."""

    CODE = SourceErrorCode.TOO_SLOW


class DownloadCancelled(Exception):  # noqa: N818 (a cancellation, not an error)
    """The sample was deleted or reprocessed while its source was downloading."""


class TooManyRedirectsError(_RequestError):
    """More redirects than the client follows (a loop, most likely)."""

    CODE = REDIRECT_LOOP


# Who answered: a direct media host, a TikTok web page, or TikTok's CDN.
Where = Literal["direct", "page", "cdn"]
_RATE_LIMITED = (SourceErrorCode.RATE_LIMITED, " (too many requests)")
_REGION = (SourceErrorCode.REGION_BLOCKED, " (blocked in this region)")
_EXPIRED = (SourceErrorCode.MEDIA_EXPIRED, " (the CDN link expired)")
_STATUS_REASONS: dict[Where, dict[int, tuple[SourceErrorCode, str]]] = {
    "direct": {
        401: (SourceErrorCode.PRIVATE, ""),
        403: (SourceErrorCode.PRIVATE, ""),
        404: (SourceErrorCode.NOT_FOUND, ""),
        410: (SourceErrorCode.NOT_FOUND, ""),
        429: (SourceErrorCode.RATE_LIMITED, ""),
    },
    "page": {
        403: (SourceErrorCode.IP_BLOCKED, " (access denied to this IP)"),
        429: _RATE_LIMITED,
        451: _REGION,
    },
    "cdn": {403: _EXPIRED, 410: _EXPIRED, 429: _RATE_LIMITED, 451: _REGION},
}


def status_error(status: int, url: str, where: Where) -> SourceError:
    """The reason behind an HTTP error status."""
    message = {
        "direct": f"{url[:200]} answered HTTP {status}",
        "page": f"TikTok answered HTTP {status} for {url[:200]}",
        "cdn": f"TikTok's CDN answered HTTP {status} for {url[:200]}",
    }[where]
    fallback = SourceErrorCode.NETWORK if status >= 500 else SourceErrorCode.NOT_FOUND
    code, note = _STATUS_REASONS[where].get(status, (fallback, ""))
    return SourceError(code, message + note)
