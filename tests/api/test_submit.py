"""POST /api/v1/samples: validation, canonicalisation, dedupe, enqueue after commit."""

from __future__ import annotations

import uuid

import pytest

from cratedig.models import Sample
from cratedig.pipeline.fetching import url_source_id
from cratedig.pipeline.queue import workflow_id
from cratedig.samples.repository import SampleRepository
from tests.api.conftest import Api, queued_workflow_ids

VIDEO_ID = "7412345678901234567"
CANONICAL = f"https://www.tiktok.com/@dj.kay/video/{VIDEO_ID}"


def submit(api: Api, url: object) -> tuple[int, dict[str, object]]:
    """POST a URL; the status code and the JSON body."""
    response = api.client.post("/api/v1/samples", json={"url": url})
    return response.status_code, response.json()


def error_of(body: dict[str, object]) -> dict[str, object]:
    """The error object of an error body."""
    error = body["error"]
    assert isinstance(error, dict)
    return error


class TestValidation:
    @pytest.mark.parametrize(
        ("url", "code"),
        [
            ("ftp://example.com/a.mp4", "invalid_url"),
            ("not a url", "invalid_url"),
            ("https://www.tiktok.com/@someone", "invalid_url"),
            ("http://evil.example.org/a.mp4", "host_not_allowed"),
        ],
    )
    def test_bad_urls_are_422_naming_the_field(self, api: Api, url: str, code: str) -> None:
        status, body = submit(api, url)
        assert status == 422
        assert error_of(body)["code"] == code
        assert error_of(body)["field"] == "url"

    def test_photo_posts_are_accepted_and_dedupe_with_the_video_form(self, api: Api) -> None:
        status, body = submit(api, f"https://www.tiktok.com/@x/photo/{VIDEO_ID}")
        assert status == 202
        assert body["source_url"] == f"https://www.tiktok.com/@x/photo/{VIDEO_ID}"
        again, repeat = submit(api, f"https://www.tiktok.com/@x/video/{VIDEO_ID}")
        assert again == 200 and repeat["id"] == body["id"]

    def test_schema_is_strict(self, api: Api) -> None:
        response = api.client.post("/api/v1/samples", json={"url": CANONICAL, "admin": True})
        assert response.status_code == 422
        assert error_of(response.json())["field"] == "admin"
        status, body = submit(api, 12345)
        assert status == 422 and error_of(body)["field"] == "url"
        missing = api.client.post("/api/v1/samples", json={})
        assert missing.status_code == 422 and error_of(missing.json())["field"] == "url"

    def test_bodies_over_the_limit_are_413(self, api: Api) -> None:
        huge = {"url": "https://127.0.0.1/" + "a" * 20_000}
        response = api.client.post("/api/v1/samples", json=huge)
        assert response.status_code == 413
        assert error_of(response.json())["code"] == "too_large"

    def test_short_link_offline_is_a_network_error(self, api: Api) -> None:
        status, body = submit(api, "https://vm.tiktok.com/ZMabcdef/")
        assert status == 502
        assert error_of(body)["code"] == "network"
        with api.runtime.transaction() as session:
            assert session.query(Sample).count() == 0


class TestSubmit:
    @pytest.mark.parametrize(
        "form",
        [
            f"https://www.tiktok.com/@dj.kay/video/{VIDEO_ID}?is_from_webapp=1&lang=en",
            f"https://m.tiktok.com/@dj.kay/video/{VIDEO_ID}/",
            f"  https://tiktok.com/@dj.kay/video/{VIDEO_ID}  ",
        ],
    )
    def test_tiktok_forms_are_canonicalised(self, api: Api, form: str) -> None:
        status, body = submit(api, form)
        assert status == 202
        assert body["source"] == "tiktok"
        assert body["source_url"] == CANONICAL
        assert body["source_id"] == VIDEO_ID
        assert body["status"] == "pending"

    def test_new_is_202_queued_and_a_resubmit_is_200_with_nothing_new(self, api: Api) -> None:
        status, first = submit(api, CANONICAL)
        assert status == 202
        sample_id = uuid.UUID(str(first["id"]))
        assert queued_workflow_ids(f"sample-{sample_id}") == [workflow_id(sample_id, 0)]
        # The mobile form of the same video is the same sample.
        status, again = submit(api, f"https://m.tiktok.com/v/{VIDEO_ID}.html")
        assert status == 200
        assert again["id"] == first["id"]
        assert queued_workflow_ids(f"sample-{sample_id}") == [workflow_id(sample_id, 0)]
        with api.runtime.transaction() as session:
            assert session.query(Sample).count() == 1

    def test_the_row_is_committed_before_the_answer(self, api: Api) -> None:
        response = api.client.post("/api/v1/samples", json={"url": CANONICAL})
        assert response.headers["location"] == f"/api/v1/samples/{response.json()['id']}"
        with api.runtime.transaction() as session:
            stored = SampleRepository(session).get(uuid.UUID(response.json()["id"]))
            assert stored is not None and stored.source_url == CANONICAL

    def test_direct_urls_on_allowed_hosts(self, api: Api) -> None:
        status, body = submit(api, "http://MEDIA.example.com/loops/a.mp4")
        assert status == 202
        assert body["source"] == "url"
        assert body["source_url"] == "http://media.example.com/loops/a.mp4"
        assert body["source_id"] == url_source_id("http://media.example.com/loops/a.mp4")
        status, _ = submit(api, "http://media.example.com/loops/a.mp4")
        assert status == 200
