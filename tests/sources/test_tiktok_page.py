"""Reading TikTok's page data: the embedded JSON and what each status code means."""

from __future__ import annotations

import pytest

from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.tiktok_page import status_reason, user_detail
from tests.fixtures.tiktok_site import (
    STATUS_AUDIT_FAILED,
    STATUS_CLASSIFIED,
    STATUS_COPYRIGHT_GEO,
    STATUS_CROSS_BORDER,
    STATUS_DELETED,
    STATUS_GEO_FENCED,
    STATUS_GONE,
    STATUS_NO_USER,
    STATUS_REVIEWING,
    STATUS_SELF_SEE,
    FakeCreator,
    author_block,
    exact,
    rounded,
    stats_block,
)


@pytest.mark.parametrize(
    ("code", "message", "reason"),
    [
        (10204, "", SourceErrorCode.IP_BLOCKED),
        (10204, "item doesn't exist", SourceErrorCode.NOT_FOUND),
        (100004, "video is deleted", SourceErrorCode.NOT_FOUND),
        (10216, "", SourceErrorCode.PRIVATE),
        (10222, "", SourceErrorCode.PRIVATE),
        (10000, "", SourceErrorCode.RATE_LIMITED),
        (10101, "", SourceErrorCode.NETWORK),
        (
            10231,
            "This video is not available in your country or region",
            SourceErrorCode.REGION_BLOCKED,
        ),
        (10219, "Please log in to view", SourceErrorCode.LOGIN_REQUIRED),
        (10299, "", SourceErrorCode.NOT_FOUND),
        (*STATUS_DELETED, SourceErrorCode.NOT_FOUND),
        (*STATUS_SELF_SEE, SourceErrorCode.PRIVATE),
        (*STATUS_GEO_FENCED, SourceErrorCode.REGION_BLOCKED),
        (*STATUS_CROSS_BORDER, SourceErrorCode.REGION_BLOCKED),
        (*STATUS_COPYRIGHT_GEO, SourceErrorCode.REGION_BLOCKED),
        (*STATUS_AUDIT_FAILED, SourceErrorCode.NOT_FOUND),
        (*STATUS_CLASSIFIED, SourceErrorCode.LOGIN_REQUIRED),
        (*STATUS_REVIEWING, SourceErrorCode.UNDER_REVIEW),
        (*STATUS_GONE, SourceErrorCode.NOT_FOUND),
        (*STATUS_NO_USER, SourceErrorCode.NOT_FOUND),
    ],
    ids=str,
)
def test_status_codes_map_to_stable_reasons(
    code: int, message: str, reason: SourceErrorCode
) -> None:
    error = status_reason(code, message, "the TikTok post 1")
    assert error.code is reason
    assert str(code) in str(error)
    retried = (SourceErrorCode.RATE_LIMITED, SourceErrorCode.NETWORK, SourceErrorCode.UNDER_REVIEW)
    assert error.retryable is (reason in retried)


def test_user_detail_returns_user_and_stats_even_for_a_private_account() -> None:
    creator = FakeCreator(private=True)
    detail = {
        "userInfo": {"user": author_block(creator), "stats": stats_block(creator)},
        "statusCode": 10222,
    }
    user, stats = user_detail(detail, creator.username)
    assert user["uniqueId"] == creator.username
    assert stats["followerCount"] == creator.followers


def test_user_detail_takes_the_exact_counts_over_the_rounded_ones() -> None:
    creator = FakeCreator(followers=1_776_621)
    counts = stats_block(creator)
    detail = {"userInfo": {"user": author_block(creator), "stats": rounded(counts)}}
    assert user_detail(detail, creator.username)[1]["followerCount"] == 1_800_000
    detail["userInfo"]["statsV2"] = exact(counts)
    assert user_detail(detail, creator.username)[1]["followerCount"] == "1776621"
    del detail["userInfo"]["stats"]
    assert user_detail(detail, creator.username)[1]["followerCount"] == "1776621"


@pytest.mark.parametrize("status", [(10202, "user doesn't exist"), STATUS_NO_USER])
def test_user_detail_of_a_missing_account_is_not_found(status: tuple[int, str]) -> None:
    code, message = status
    detail = {"userInfo": {}, "statusCode": code, "statusMsg": message}
    with pytest.raises(SourceError) as failure:
        user_detail(detail, "ghost")
    assert failure.value.code is SourceErrorCode.NOT_FOUND
    assert "@ghost" in str(failure.value)


def test_user_detail_without_data_is_a_retryable_bot_check() -> None:
    with pytest.raises(SourceError) as failure:
        user_detail(None, "someone")
    assert failure.value.code is SourceErrorCode.RATE_LIMITED
