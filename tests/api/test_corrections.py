"""Admin corrections of BPM, key and scale: PATCH, what the detail and listings show."""

from __future__ import annotations

import uuid

from cratedig.models import Sample
from cratedig.samples.corrections import apply_analysis
from tests.api.conftest import Api
from tests.fixtures.factories import make_creator, make_sample

OUTSIDER = "203.0.113.9"


def analysed_sample(api: Api, **fields: object) -> Sample:
    """A completed sample read by the analysis as 120 BPM, A minor."""
    values = {"bpm": 120.0, "analysed_bpm": 120.0, "key": "A", "analysed_key": "A"}
    values |= {"scale": "minor", "analysed_scale": "minor"}
    sample = make_sample(id=uuid.uuid4(), **(values | fields))
    api.add(sample)
    return sample


def listed_ids(api: Api, **params: object) -> list[str]:
    response = api.client.get("/api/v1/samples", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_a_correction_wins_in_the_detail_and_keeps_the_analysis_beside_it(api: Api) -> None:
    sample = analysed_sample(api)
    response = api.client.patch(
        f"/api/v1/samples/{sample.id}", json={"bpm": 90.5, "key": "db", "scale": "major"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["bpm"], body["key"], body["scale"]) == (90.5, "C#", "major")
    assert body["analysis"] == {"bpm": 120.0, "key": "A", "scale": "minor"}
    assert body["corrections"] == {"bpm": 90.5, "key": "C#", "scale": "major"}
    detail = api.client.get(f"/api/v1/samples/{sample.id}").json()
    assert detail["bpm"] == 90.5 and detail["analysis"]["bpm"] == 120.0
    assert detail["corrections"] == body["corrections"]


def test_null_clears_one_correction_and_leaves_the_others(api: Api) -> None:
    sample = analysed_sample(api)
    url = f"/api/v1/samples/{sample.id}"
    api.client.patch(url, json={"bpm": 90.0, "key": "C", "scale": "major"})
    cleared = api.client.patch(url, json={"bpm": None}).json()
    assert cleared["bpm"] == 120.0
    assert cleared["corrections"] == {"key": "C", "scale": "major"}
    assert (cleared["key"], cleared["scale"]) == ("C", "major")


def test_listings_filter_and_sort_on_the_corrected_values(api: Api) -> None:
    corrected, other = analysed_sample(api), analysed_sample(api, bpm=100.0, analysed_bpm=100.0)
    response = api.client.patch(
        f"/api/v1/samples/{corrected.id}", json={"bpm": 80.0, "key": "F", "scale": "major"}
    )
    assert response.status_code == 200, response.text
    assert listed_ids(api, bpm_min=78, bpm_max=82) == [str(corrected.id)]
    assert listed_ids(api, bpm_min=118, bpm_max=122) == []
    assert listed_ids(api, bpm_min=158, bpm_max=162, tempo_multiples=True) == [str(corrected.id)]
    assert listed_ids(api, key="F", scale="major") == [str(corrected.id)]
    assert listed_ids(api, key="A", scale="minor") == [str(other.id)]
    assert listed_ids(api, sort="bpm_asc") == [str(corrected.id), str(other.id)]
    item = api.client.get("/api/v1/samples").json()["items"][-1]
    assert (item["bpm"], item["key"]) == (80.0, "F")


def test_the_download_name_carries_the_corrected_tempo_and_key(api: Api) -> None:
    sample = analysed_sample(api, creator=make_creator(username="djkay"), wav_key="x/a.wav")
    api.runtime.storage.put_bytes("x/a.wav", b"RIFF")
    api.client.patch(f"/api/v1/samples/{sample.id}", json={"bpm": 80.5, "key": "Eb"})
    response = api.client.get(f"/api/v1/samples/{sample.id}/download", follow_redirects=False)
    assert response.status_code == 302
    assert f"81bpm_Ebminor_djkay_{sample.id.hex[:8]}.wav" in response.headers["location"]


def test_bad_corrections_are_422_in_the_usual_shape(api: Api) -> None:
    sample = analysed_sample(api)
    url = f"/api/v1/samples/{sample.id}"
    for body, field in (
        ({"key": "H"}, "key"),
        ({"scale": "dorian"}, "scale"),
        ({"bpm": -3}, "bpm"),
        ({"bpm": "fast"}, "bpm"),
        ({"tempo": 90}, "tempo"),
        ({}, None),
    ):
        response = api.client.patch(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field, body
    assert api.client.get(url).json()["corrections"] == {}


def test_only_admins_correct_and_an_unknown_sample_is_404(api: Api) -> None:
    sample = analysed_sample(api)
    outsider = api.client_from(OUTSIDER).patch(f"/api/v1/samples/{sample.id}", json={"bpm": 90})
    assert outsider.status_code == 403
    assert api.client.get(f"/api/v1/samples/{sample.id}").json()["bpm"] == 120.0
    missing = api.client.patch(f"/api/v1/samples/{uuid.uuid4()}", json={"bpm": 90})
    assert missing.status_code == 404


def test_the_detail_carries_the_creator_card(api: Api) -> None:
    creator = make_creator(
        username="djkay", nickname="DJ Kay", follower_count=1234, heart_count=99, video_count=7
    )
    creator.avatar_large_key = "creators/x/avatar_large.jpg"
    sample = analysed_sample(api, creator=creator)
    card = api.client.get(f"/api/v1/samples/{sample.id}").json()["creator"]
    assert (card["username"], card["nickname"]) == ("djkay", "DJ Kay")
    assert (card["follower_count"], card["heart_count"], card["video_count"]) == (1234, 99, 7)
    assert card["avatar_large_url"].startswith("/media/creators/x/avatar_large.jpg")
    assert card["avatar_medium_url"] is None


def test_a_new_analysis_goes_beside_a_correction_and_fills_the_rest() -> None:
    sample = make_sample(corrected_bpm=90.0, bpm=90.0)
    apply_analysis(sample, {"bpm": 121.0, "key": "C", "scale": "major"})
    assert (sample.bpm, sample.analysed_bpm) == (90.0, 121.0)
    assert (sample.key, sample.scale) == ("C", "major")
