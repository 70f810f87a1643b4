"""Read TikTok's web pages: the rehydration JSON they embed, and the status codes in it."""

from __future__ import annotations

import json
import re
from typing import Any

from cratedig.sources.errors import SourceError, SourceErrorCode

_UNIVERSAL_DATA = re.compile(
    r'<script[^>]+id="__UNIVERSAL_DATA_FOR_REHYDRATION__"[^>]*>(?P<json>.*?)</script>', re.S
)
VIDEO_DETAIL = "webapp.video-detail"
USER_DETAIL = "webapp.user-detail"

# TikTok's `statusCode` values in the page data, and what they mean for us.
PRIVATE_CODES = frozenset({10216, 10222})  # a private post; a private account
IP_BLOCK_CODES = frozenset({10204})  # yt-dlp's reading of 10204; see `status_reason`
RATE_LIMIT_CODES = frozenset({10000})  # a verification (captcha) wall
SERVER_ERROR_CODES = frozenset({10101, 10102})
_MISSING = ("doesn't exist", "does not exist", "not exist", "deleted", "removed", "unavailable")
_REGION = ("region", "country")
_LOGIN = ("login", "log in")


def page_scope(html: str) -> dict[str, Any] | None:
    """The `__DEFAULT_SCOPE__` of a page's rehydration data, or None when it has none."""
    match = _UNIVERSAL_DATA.search(html)
    if match is None:
        return None
    try:
        data = json.loads(match["json"])
    except json.JSONDecodeError:
        return None
    scope = data.get("__DEFAULT_SCOPE__") if isinstance(data, dict) else None
    return scope if isinstance(scope, dict) else None


def status_reason(code: int, message: str, what: str) -> SourceError:
    """The reason behind a non-zero `statusCode` (with its `statusMsg`) for `what`."""
    lowered = message.lower()
    detail = f"TikTok status {code}" + (f" ({message})" if message else "")
    if any(word in lowered for word in _REGION):
        return SourceError(
            SourceErrorCode.REGION_BLOCKED, f"{what} is not available in this region: {detail}"
        )
    if any(word in lowered for word in _MISSING):
        return SourceError(
            SourceErrorCode.NOT_FOUND, f"{what} was deleted or never existed: {detail}"
        )
    if any(word in lowered for word in _LOGIN):
        return SourceError(SourceErrorCode.LOGIN_REQUIRED, f"{what} needs a login: {detail}")
    if code in PRIVATE_CODES:
        return SourceError(SourceErrorCode.PRIVATE, f"{what} is private: {detail}")
    if code in IP_BLOCK_CODES:
        return SourceError(
            SourceErrorCode.IP_BLOCKED,
            f"TikTok blocks this IP address from {what}: {detail}; use CRATEDIG_TIKTOK_PROXY",
        )
    if code in RATE_LIMIT_CODES:
        return SourceError(
            SourceErrorCode.RATE_LIMITED, f"TikTok asks for a verification (throttled): {detail}"
        )
    if code in SERVER_ERROR_CODES:
        return SourceError(SourceErrorCode.NETWORK, f"TikTok had a server error: {detail}")
    return SourceError(SourceErrorCode.NOT_FOUND, f"{what} is not available: {detail}")


def detail_status(detail: dict[str, Any]) -> tuple[int, str]:
    """A detail block's `statusCode` and `statusMsg` (0 and "" when absent)."""
    code = detail.get("statusCode")
    message = detail.get("statusMsg")
    return (
        code if isinstance(code, int) else 0,
        message if isinstance(message, str) else "",
    )


def user_detail(html: str, username: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A profile page's user and stats blocks; raise the page's reason when it has none."""
    scope = page_scope(html)
    if scope is None:
        raise SourceError(
            SourceErrorCode.RATE_LIMITED,
            f"TikTok's page for @{username} carried no data (a bot check or a changed layout)",
        )
    detail = scope.get(USER_DETAIL) or {}
    info = detail.get("userInfo") or {}
    user, stats = info.get("user"), info.get("stats") or info.get("statsV2")
    code, message = detail_status(detail)
    # A private account still shows its profile (code 10222): take what is there.
    if isinstance(user, dict) and user.get("uniqueId"):
        return user, stats if isinstance(stats, dict) else {}
    raise status_reason(code or 10202, message, f"the TikTok account @{username}")
