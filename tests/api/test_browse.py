"""Listing, detail, status, creators, popular tags and health."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from cratedig.models import SampleStatus, SampleStep, utcnow
from cratedig.pipeline.tracking import STEPS
from tests.api.conftest import Api
from tests.fixtures.factories import make_creator, make_sample


def ids(body: dict[str, list[dict[str, str]]]) -> list[str]:
    """The ids of a page's items, in order."""
    return [item["id"] for item in body["items"]]


class TestList:
    def test_only_completed_by_default_and_status_is_admin_only(self, api: Api) -> None:
        done, pending = make_sample(), make_sample(status=SampleStatus.PENDING)
        api.add(done, pending)
        assert ids(api.client.get("/api/v1/samples").json()) == [str(done.id)]
        mine = api.client.get("/api/v1/samples", params={"status": "pending"})
        assert ids(mine.json()) == [str(pending.id)]
        everything = api.client.get("/api/v1/samples", params={"status": "all"}).json()
        assert len(everything["items"]) == 2
        outsider = api.client_from("198.51.100.7").get("/api/v1/samples?status=pending")
        assert outsider.status_code == 403

    def test_filters(self, api: Api) -> None:
        kay = make_creator(username="djkay")
        slow = make_sample(bpm=85.0, key="C#", scale="major", title="lofi rain")
        fast = make_sample(bpm=140.0, key="A", scale="minor", creator=kay)
        mid = make_sample(bpm=120.0, key="Eb", scale="minor")
        slow.tags, fast.tags, mid.tags = ["lofi", "chill"], ["drill"], ["house"]
        api.add(kay, slow, fast, mid)

        def listed(**params: object) -> set[str]:
            response = api.client.get("/api/v1/samples", params=params)
            assert response.status_code == 200, response.text
            return set(ids(response.json()))

        assert listed(bpm_min=100) == {str(fast.id), str(mid.id)}
        assert listed(bpm_min=100, bpm_max=125) == {str(mid.id)}
        # A producer at 160-175 also wants the 85 BPM loop (read in double time).
        assert listed(bpm_min=160, bpm_max=175) == set()
        assert listed(bpm_min=160, bpm_max=175, tempo_multiples="true") == {str(slow.id)}
        assert listed(bpm_min=60, bpm_max=72, tempo_multiples="true") == {str(fast.id), str(mid.id)}
        assert listed(key="Db") == {str(slow.id)}  # enharmonic of the stored C#
        assert listed(key="d#", scale="minor") == {str(mid.id)}
        assert listed(tags=["drill", "house"]) == {str(fast.id), str(mid.id)}
        assert listed(tags="chill,drill") == {str(slow.id), str(fast.id)}
        assert listed(creator="@DJKay") == {str(fast.id)}
        assert listed(q="rain") == {str(slow.id)}

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"bpm_min": "fast"}, "bpm_min"),
            ({"bpm_min": 130, "bpm_max": 90}, "bpm_min"),
            ({"key": "H"}, "key"),
            ({"scale": "dorian"}, "scale"),
            ({"sort": "random"}, "sort"),
            ({"limit": 101}, "limit"),
            ({"limit": 0}, "limit"),
            ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
            ({"status": "weird"}, "status"),
        ],
    )
    def test_bad_values_are_422_naming_the_field(
        self, api: Api, params: dict[str, object], field: str
    ) -> None:
        response = api.client.get("/api/v1/samples", params=params)
        assert response.status_code == 422
        assert response.json()["error"]["field"] == field

    def test_sorts_and_cursor_pages(self, api: Api) -> None:
        rows = [make_sample(bpm=float(90 + i * 10), view_count=i) for i in range(5)]
        api.add(*rows)
        by_id = [str(row.id) for row in rows]
        newest = api.client.get("/api/v1/samples", params={"sort": "newest"}).json()
        assert ids(newest) == by_id[::-1]
        assert ids(api.client.get("/api/v1/samples?sort=bpm_asc").json()) == by_id
        assert ids(api.client.get("/api/v1/samples?sort=popular").json()) == by_id[::-1]
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, object] = {"sort": "oldest", "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = api.client.get("/api/v1/samples", params=params).json()
            seen += ids(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == by_id
        other_sort = api.client.get("/api/v1/samples?sort=newest&limit=2").json()["next_cursor"]
        wrong = api.client.get("/api/v1/samples", params={"sort": "bpm_asc", "cursor": other_sort})
        assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "cursor"


class TestDetail:
    def test_all_fields_creator_tags_and_versioned_urls(self, api: Api) -> None:
        kay = make_creator(username="djkay")
        sample = make_sample(id=uuid.uuid4(), creator=kay, generation=3, key="A", scale="minor")
        sample.wav_key = f"samples/{sample.id}/audio.wav"
        sample.hls_key = f"samples/{sample.id}/hls/playlist.m3u8"
        sample.tags = ["Lofi", "#chill"]
        api.add(kay, sample)
        body = api.client.get(f"/api/v1/samples/{sample.id}").json()
        assert body["audio_url_wav"] == f"/media/samples/{sample.id}/audio.wav?v=3"
        assert body["audio_url_hls"] == f"/media/samples/{sample.id}/hls/playlist.m3u8?v=3"
        assert body["audio_url_mp3"] is None and body["waveform_data_url"] is None
        assert body["tags"] == ["chill", "lofi"]
        assert body["creator"]["username"] == "djkay"
        for field in ("status", "step", "error_code", "error_message", "attempts"):
            assert field in body
        for field in ("processed_at", "created_at", "updated_at", "bpm", "key", "scale"):
            assert field in body

    def test_tempo_and_key_candidates(self, api: Api) -> None:
        readings = [{"bpm": 150.0, "confidence": 0.5}, {"bpm": 75.0, "confidence": 0.45}]
        keys = [{"key": "A", "scale": "minor", "confidence": 0.8}]
        analysed = make_sample(bpm=150.0, bpm_candidates=readings, key_candidates=keys)
        before = make_sample()  # analysed before candidates were kept: NULL columns
        api.add(analysed, before)
        body = api.client.get(f"/api/v1/samples/{analysed.id}").json()
        assert (body["bpm_candidates"], body["key_candidates"]) == (readings, keys)
        old = api.client.get(f"/api/v1/samples/{before.id}").json()
        assert (old["bpm_candidates"], old["key_candidates"]) == ([], [])
        listed = api.client.get("/api/v1/samples", params={"bpm_min": 140}).json()["items"]
        assert [item["bpm_candidates"] for item in listed] == [readings]
        schema = api.client.get("/openapi.json").json()["components"]["schemas"]
        assert {"bpm_candidates", "key_candidates"} <= set(schema["SampleOut"]["required"])
        assert set(schema["TempoCandidate"]["properties"]) == {"bpm", "confidence"}

    def test_the_detail_has_beats_and_loops_the_listing_not(self, api: Api) -> None:
        rhythm = {
            "beats": [0.5, 1.0, 1.5, 2.0, 2.5],
            "downbeats": [0.5, 2.5],
            "beats_per_bar": 4,
            "loops": [{"bars": 1, "start": 0.5, "end": 2.5}],
        }
        analysed = make_sample(bpm=120.0, **rhythm)
        before = make_sample()  # analysed before beats were kept: NULL columns
        api.add(analysed, before)
        body = api.client.get(f"/api/v1/samples/{analysed.id}").json()
        assert {name: body[name] for name in rhythm} == rhythm
        old = api.client.get(f"/api/v1/samples/{before.id}").json()
        assert [old[name] for name in rhythm] == [[], [], None, []]
        listed = api.client.get("/api/v1/samples").json()["items"]
        assert len(listed) == 2 and not any(set(rhythm) & set(item) for item in listed)
        schema = api.client.get("/openapi.json").json()["components"]["schemas"]
        assert set(rhythm) <= set(schema["SampleDetail"]["required"])
        assert not set(rhythm) & set(schema["SampleOut"]["properties"])
        assert set(schema["BeatLoop"]["properties"]) == {"bars", "start", "end"}

    def test_missing_is_a_json_404(self, api: Api) -> None:
        response = api.client.get("/api/v1/samples/00000000-0000-4000-8000-000000000000")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        bad = api.client.get("/api/v1/samples/nope")
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "sample_id"

    def test_status_shape(self, api: Api) -> None:
        sample = make_sample(
            id=uuid.uuid4(), status=SampleStatus.FAILED, step="fetch_source", step_index=2
        )
        sample.error_code, sample.error_message, sample.attempts = "network", "offline", 2
        started = utcnow()
        first = SampleStep(
            sample_id=sample.id, generation=0, step="mark_processing", step_index=1,
            started_at=started, finished_at=started + timedelta(seconds=0.5), attempts=1,
        )  # fmt: skip
        failed = SampleStep(
            sample_id=sample.id, generation=0, step="fetch_source", step_index=2,
            started_at=started, attempts=2, error="offline",
        )  # fmt: skip
        old = SampleStep(sample_id=sample.id, generation=9, step="publish", step_index=6)
        api.add(sample)
        api.add(first, failed, old)
        body = api.client.get(f"/api/v1/samples/{sample.id}/status").json()
        assert body["status"] == "failed"
        assert (body["step"], body["step_number"], body["step_count"]) == (
            "fetch_source",
            2,
            len(STEPS),
        )
        assert (body["error_code"], body["error_message"], body["attempts"]) == (
            "network",
            "offline",
            2,
        )
        assert [s["step"] for s in body["steps"]] == ["mark_processing", "fetch_source"]
        assert body["steps"][0]["duration_seconds"] == pytest.approx(0.5)
        assert body["steps"][1]["error"] == "offline"


def test_creator_page_and_popular_tags(api: Api) -> None:
    kay = make_creator(username="djkay", nickname="DJ Kay", source_id="6801", sec_uid="MS4wkay")
    mine = [make_sample(creator=kay) for _ in range(2)]
    hidden = make_sample(creator=kay, status=SampleStatus.PROCESSING)
    for sample in mine:
        sample.tags = ["drill"]
    mine[0].tags = ["drill", "uk"]
    api.add(kay, *mine, hidden)
    body = api.client.get("/api/v1/creators/@DJKay").json()
    assert body["nickname"] == "DJ Kay"
    assert (body["source_id"], body["sec_uid"]) == ("6801", "MS4wkay")
    assert {s["id"] for s in body["samples"]} == {str(s.id) for s in mine}
    assert api.client.get("/api/v1/creators/nobody").status_code == 404
    tags = api.client.get("/api/v1/tags/popular", params={"limit": 5}).json()
    assert tags == [{"tag": "drill", "count": 2}, {"tag": "uk", "count": 1}]


def test_health(api: Api) -> None:
    response = api.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "storage", "queue"}
    assert all(check["ok"] for check in body["checks"].values())
    paths = api.client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/samples", "/api/v1/samples/{sample_id}/download", "/media/{key}"} <= set(paths)
