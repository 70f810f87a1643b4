"""Cacheable public GETs: ETag and 304 on If-None-Match, a new ETag after a change, and a
Cache-Control per kind; the fast read path shows exactly what the pydantic schemas show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from cratedig.artifacts import CREATOR_AVATARS, SAMPLE_ARTIFACTS
from cratedig.http.caching import IN_FLIGHT, LISTING, PRIVATE, SETTLED, is_fresh
from cratedig.models import Sample, SampleStatus, SampleStep, utcnow
from cratedig.samples.documents import sample_detail_document
from cratedig.samples.schemas import SampleDetail
from cratedig.samples.service import progress, sample_out
from tests.api.conftest import Api
from tests.fixtures.factories import make_creator, make_sample


def _revalidated(api: Api, path: str) -> str:
    """The route's ETag, after checking that sending it back answers 304 with no body."""
    first = api.client.get(path)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    again = api.client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == first.headers["cache-control"]
    return etag


def _set(api: Api, sample: Sample, **values: object) -> None:
    with api.runtime.transaction() as session:
        session.execute(update(Sample).where(Sample.id == sample.id).values(**values))


class TestDetail:
    def test_304_then_a_new_etag_after_a_change(self, api: Api) -> None:
        sample = make_sample()
        api.add(sample)
        path = f"/api/v1/samples/{sample.id}"
        etag = _revalidated(api, path)
        _set(api, sample, title="renamed")
        changed = api.client.get(path, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.json()["title"] == "renamed"
        assert changed.headers["etag"] != etag

    @pytest.mark.parametrize(
        ("status", "cache_control"),
        [
            (SampleStatus.COMPLETED, SETTLED),
            (SampleStatus.PENDING, IN_FLIGHT),
            (SampleStatus.PROCESSING, IN_FLIGHT),
            (SampleStatus.FAILED, IN_FLIGHT),
        ],
    )
    def test_cache_control_by_status(
        self, api: Api, status: SampleStatus, cache_control: str
    ) -> None:
        sample = make_sample(status=status)
        api.add(sample)
        for path in (f"/api/v1/samples/{sample.id}", f"/api/v1/samples/{sample.id}/status"):
            assert api.client.get(path).headers["cache-control"] == cache_control

    def test_shows_what_the_schema_shows(self, api: Api) -> None:
        """Every column, URL, tag and creator field: the read path equals SampleOut."""
        kay = make_creator(username="kay", verified=True, last_fetched_at=utcnow())
        for avatar in CREATOR_AVATARS:
            avatar.store(kay, f"creators/{kay.username}/{avatar.file}")
        sample = make_sample(
            creator=kay,
            error_code="storage",
            error_message="/tmp/x/y: disk full",
            sound_title="Sound ü",
            posted_at=utcnow(),
            processed_at=utcnow(),
            generation=3,
            bpm=None,
        )
        for n, artifact in enumerate(SAMPLE_ARTIFACTS):
            artifact.store(sample, f"samples/{sample.source_id}/{artifact.file}", 1000 + n)
        sample.tags = ["lofi", "chill", "808"]
        api.add(kay, sample)
        body = api.client.get(f"/api/v1/samples/{sample.id}").json()
        with api.runtime.sessions() as session:
            stored = session.get(Sample, sample.id)
            assert stored is not None
            expected = sample_out(stored, api.runtime.storage).model_dump(mode="json")
            detail = SampleDetail.model_validate(
                sample_detail_document(stored, api.runtime.storage)
            ).model_dump(mode="json", exclude={"corrections"})
        assert {name: value for name, value in body.items() if name != "corrections"} == detail
        assert body["corrections"] == {}
        assert {name: body[name] for name in expected if name != "creator"} == {
            name: value for name, value in expected.items() if name != "creator"
        }
        assert body["creator"] == body["creator"] | expected["creator"]
        assert body["tags"] == ["808", "chill", "lofi"]
        assert body["creator"]["avatar_url"].endswith(f"?v={int(kay.last_fetched_at.timestamp())}")
        listed = api.client.get("/api/v1/samples").json()["items"]
        assert listed == [expected]


class TestStatus:
    def test_304_then_a_new_etag_after_a_step(self, api: Api) -> None:
        sample = make_sample(status=SampleStatus.PROCESSING, step="fetch_source", step_index=1)
        api.add(sample)
        path = f"/api/v1/samples/{sample.id}/status"
        etag = _revalidated(api, path)
        _set(api, sample, step="store_media", step_index=2)
        changed = api.client.get(path, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.json()["step"] == "store_media"

    def test_shows_what_the_schema_shows(self, api: Api) -> None:
        sample = make_sample(status=SampleStatus.FAILED, step="store_media", step_index=2)
        sample.error_code, sample.error_message = "storage", "s3://bucket/key: refused"
        api.add(sample)
        started = utcnow()
        api.add(
            SampleStep(
                sample_id=sample.id,
                generation=0,
                step="fetch_source",
                step_index=1,
                started_at=started,
                finished_at=started + timedelta(seconds=2),
                attempts=1,
            ),
            SampleStep(
                sample_id=sample.id,
                generation=0,
                step="store_media",
                step_index=2,
                started_at=started,
                attempts=2,
                error="/tmp/job/source: refused",
            ),
            SampleStep(  # another generation: not shown
                sample_id=sample.id, generation=1, step="fetch_source", step_index=1, attempts=1
            ),
        )
        body = api.client.get(f"/api/v1/samples/{sample.id}/status").json()
        with api.runtime.sessions() as session:
            stored = session.get(Sample, sample.id)
            assert stored is not None
            expected = progress(session, stored).model_dump(mode="json")
        assert body == expected
        assert [step["step"] for step in body["steps"]] == ["fetch_source", "store_media"]
        assert body["steps"][0]["duration_seconds"] == 2.0


class TestListing:
    def test_304_then_a_new_etag_when_a_sample_is_published(self, api: Api) -> None:
        api.add(make_sample())
        etag = _revalidated(api, "/api/v1/samples?sort=newest")
        api.add(make_sample())
        changed = api.client.get("/api/v1/samples?sort=newest", headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert len(changed.json()["items"]) == 2
        assert changed.headers["cache-control"] == LISTING

    def test_admin_views_are_private(self, api: Api) -> None:
        api.add(make_sample(status=SampleStatus.PENDING))
        response = api.client.get("/api/v1/samples", params={"status": "pending"})
        assert response.status_code == 200
        assert response.headers["cache-control"] == PRIVATE
        assert "etag" not in response.headers

    def test_creator_page(self, api: Api) -> None:
        kay = make_creator(username="kay")
        api.add(kay, make_sample(creator=kay))
        etag = _revalidated(api, "/api/v1/creators/kay")
        assert api.client.get("/api/v1/creators/kay").headers["cache-control"] == LISTING
        api.add(make_sample(creator=kay))
        assert api.client.get("/api/v1/creators/kay").headers["etag"] != etag

    def test_errors_carry_no_etag(self, api: Api) -> None:
        missing = api.client.get("/api/v1/samples/00000000-0000-0000-0000-000000000000")
        assert missing.status_code == 404
        assert "etag" not in missing.headers


@pytest.mark.parametrize(
    ("header", "fresh"),
    [
        (None, False),
        ("", False),
        ('W/"abc"', True),
        ('"abc"', True),  # weak comparison: the W/ prefix does not matter
        ('"x", W/"abc"', True),
        ("*", True),
        ('W/"abcd"', False),
    ],
)
def test_if_none_match(header: str | None, fresh: bool) -> None:
    assert is_fresh(header, 'W/"abc"') is fresh
