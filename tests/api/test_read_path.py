"""The public read path: a listing's statement is built once per filter shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratedig.samples.reads import _page_query
from tests.api.conftest import Api, api_settings
from tests.fixtures.factories import make_sample


def test_listing_statement_is_built_once_per_shape(api: Api) -> None:
    slow, fast = make_sample(bpm=85.0), make_sample(bpm=125.0)
    api.add(slow, fast)

    def listed(low: int, high: int) -> list[str]:
        answer = api.client.get("/api/v1/samples", params={"bpm_min": low, "bpm_max": high})
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert listed(80, 90) == [str(slow.id)]
    built = _page_query.cache_info().misses
    # The same shape with other values: the kept statement, with this request's values.
    assert listed(120, 130) == [str(fast.id)]
    assert listed(80, 90) == [str(slow.id)]
    assert _page_query.cache_info().misses == built


def test_read_connections_setting_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="read_connections"):
        api_settings(tmp_path, "sqlite://", read_connections=0)
