"""Text input with a NUL character is a 422 naming the field (PostgreSQL text cannot hold NUL).

Found by fuzzing the API on PostgreSQL, where each of these was a 500 from the database.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/samples?creator=some%00one", "creator"),
        ("/api/v1/samples?tags=lofi&tags=dr%00ums", "tags.1"),
        ("/api/v1/creators/some%00one", "username"),
    ],
)
def test_a_nul_in_a_query_or_path_is_refused(api: Api, path: str, field: str) -> None:
    response = api.client.get(path)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/loop\x00.mp4",
        "https://www.tiktok.com/@some\x00one/video/7301234567890123456",
    ],
)
def test_a_nul_in_a_submitted_url_is_refused(api: Api, url: str) -> None:
    response = api.client.post("/api/v1/samples", json={"url": url})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "url"


def test_text_without_nul_still_reaches_the_database(api: Api) -> None:
    listing = api.client.get("/api/v1/samples?creator=someone&tags=lofi,drums")
    creator = api.client.get("/api/v1/creators/someone")

    assert listing.status_code == 200
    assert listing.json() == {"items": [], "next_cursor": None}
    assert creator.status_code == 404
