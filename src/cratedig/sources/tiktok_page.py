"""Read TikTok's page data (yt-dlp finds it in the page): its detail blocks and status codes."""

from __future__ import annotations

from typing import Any

from cratedig.sources.errors import SourceError, SourceErrorCode

VIDEO_DETAIL = "webapp.video-detail"
USER_DETAIL = "webapp.user-detail"

# TikTok's `statusCode` values in the page data, and what they mean for us.
PRIVATE_CODES = frozenset({10216, 10222})  # a private post; a private account
IP_BLOCK_CODES = frozenset({10204})  # yt-dlp's reading of a bare 10204; see `status_reason`
RATE_LIMIT_CODES = frozenset({10000})  # a verification (captcha) wall
SERVER_ERROR_CODES = frozenset({10101, 10102})
# The machine-style `statusMsg` tokens TikTok joins with "&" (mostly under 10204), by prefix:
# "item_privacy_authorization&status_deleted", "cross_border_violation_ur", ...
MESSAGE_REASONS = (
    ("status_self_see", SourceErrorCode.PRIVATE),
    ("person_geo_fencing", SourceErrorCode.REGION_BLOCKED),
    ("cross_border_violation", SourceErrorCode.REGION_BLOCKED),
    ("copyright_geo_filter", SourceErrorCode.REGION_BLOCKED),
    ("status_deleted", SourceErrorCode.NOT_FOUND),
    ("status_audit_not_pass", SourceErrorCode.NOT_FOUND),
    ("content_classification", SourceErrorCode.LOGIN_REQUIRED),
    ("status_reviewing", SourceErrorCode.UNDER_REVIEW),
)
_MISSING = ("doesn't exist", "does not exist", "not exist", "deleted", "removed", "unavailable")
_REGION = ("region", "country")
LOGIN_WORDS = ("login", "log in")
_EXPLAINED = {
    SourceErrorCode.PRIVATE: "{what} is private",
    SourceErrorCode.REGION_BLOCKED: "{what} is not available in this region",
    SourceErrorCode.NOT_FOUND: "{what} was deleted or is not available",
    SourceErrorCode.LOGIN_REQUIRED: "{what} needs a login",
    SourceErrorCode.UNDER_REVIEW: "{what} is still being reviewed by TikTok (asked again later)",
    SourceErrorCode.IP_BLOCKED: "TikTok blocks this IP address from {what} (CRATEDIG_TIKTOK_PROXY)",
    SourceErrorCode.RATE_LIMITED: "TikTok asks for a verification (throttled)",
    SourceErrorCode.NETWORK: "TikTok had a server error",
}


def status_reason(code: int, message: str, what: str) -> SourceError:
    """The reason behind a non-zero `statusCode` (with its `statusMsg`) for `what`."""
    detail = f"TikTok status {code}" + (f" ({message})" if message else "")
    reason = _message_reason(message) or _code_reason(code)
    return SourceError(reason, _EXPLAINED[reason].format(what=what) + f": {detail}")


def _message_reason(message: str) -> SourceErrorCode | None:
    """What a `statusMsg` says: TikTok's machine tokens first, then words in a sentence."""
    lowered = message.lower()
    tokens = [token.strip() for token in lowered.split("&")]
    for prefix, reason in MESSAGE_REASONS:
        if any(token.startswith(prefix) for token in tokens):
            return reason
    for words, reason in (
        (_REGION, SourceErrorCode.REGION_BLOCKED),
        (_MISSING, SourceErrorCode.NOT_FOUND),
        (LOGIN_WORDS, SourceErrorCode.LOGIN_REQUIRED),
    ):
        if any(word in lowered for word in words):
            return reason
    return None


def _code_reason(code: int) -> SourceErrorCode:
    for codes, reason in (
        (PRIVATE_CODES, SourceErrorCode.PRIVATE),
        (IP_BLOCK_CODES, SourceErrorCode.IP_BLOCKED),
        (RATE_LIMIT_CODES, SourceErrorCode.RATE_LIMITED),
        (SERVER_ERROR_CODES, SourceErrorCode.NETWORK),
    ):
        if code in codes:
            return reason
    return SourceErrorCode.NOT_FOUND  # 100004, a missing account (10202, 10221), the unknown


def detail_status(detail: dict[str, Any]) -> tuple[int, str]:
    """A detail block's `statusCode` and `statusMsg` (0 and "" when absent)."""
    code = detail.get("statusCode")
    message = detail.get("statusMsg")
    return (
        code if isinstance(code, int) else 0,
        message if isinstance(message, str) else "",
    )


def user_detail(
    detail: dict[str, Any] | None, username: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A profile page's user block and counts (exact `statsV2` over rounded `stats`) from its
    `webapp.user-detail`; raise the page's reason when it has no user."""
    if detail is None:
        raise SourceError(
            SourceErrorCode.RATE_LIMITED,
            f"TikTok's page for @{username} carried no profile (a bot check or a changed layout)",
        )
    info = detail.get("userInfo") or {}
    user = info.get("user")
    code, message = detail_status(detail)
    # A private account still shows its profile (code 10222): take what is there.
    if isinstance(user, dict) and user.get("uniqueId"):
        return user, exact_counts(info.get("stats"), info.get("statsV2"))
    raise status_reason(code or 10202, message, f"the TikTok account @{username}")


def exact_counts(rounded: Any, exact: Any) -> dict[str, Any]:
    """One counts block: TikTok rounds `stats` (1800000) but `statsV2` is exact ("1776621")."""
    merged = dict(rounded) if isinstance(rounded, dict) else {}
    if isinstance(exact, dict):
        merged.update({name: value for name, value in exact.items() if value is not None})
    return merged
