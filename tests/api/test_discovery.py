"""Finding samples that mix: compatible keys, similar tempo and key; and the admin dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cratedig.models import SampleStatus, utcnow
from cratedig.samples.harmony import camelot, compatible_keys
from tests.api.conftest import Api, queued_workflow_ids
from tests.fixtures.factories import make_sample


@pytest.mark.parametrize(
    ("key", "scale", "code", "neighbours"),
    [
        ("A", "minor", "8A", {("A", "minor"), ("C", "major"), ("E", "minor"), ("D", "minor")}),
        ("C", "major", "8B", {("C", "major"), ("A", "minor"), ("G", "major"), ("F", "major")}),
        ("Ab", "minor", "1A", {("Ab", "minor"), ("B", "major"), ("Eb", "minor"), ("C#", "minor")}),
        ("F#", "major", "2B", {("F#", "major"), ("Eb", "minor"), ("C#", "major"), ("B", "major")}),
    ],
)
def test_camelot_neighbours(
    key: str, scale: str, code: str, neighbours: set[tuple[str, str]]
) -> None:
    assert camelot(key, scale) == code
    assert set(compatible_keys(key, scale)) == neighbours
    codes = {camelot(k, s) for k, s in neighbours}
    number = int(code[:-1])
    assert codes == {
        code,
        f"{number}{'B' if code.endswith('A') else 'A'}",
        f"{number % 12 + 1}{code[-1]}",
        f"{(number - 2) % 12 + 1}{code[-1]}",
    }


def test_compatible_keys_filter(api: Api) -> None:
    keys = [("A", "minor"), ("C", "major"), ("E", "minor"), ("D", "minor"), ("B", "minor")]
    samples = {pair: make_sample(key=pair[0], scale=pair[1]) for pair in keys}
    api.add(*samples.values())
    plain = api.client.get("/api/v1/samples", params={"key": "A", "scale": "minor"}).json()
    assert [item["id"] for item in plain["items"]] == [str(samples[("A", "minor")].id)]
    mixed = api.client.get(
        "/api/v1/samples", params={"key": "a", "scale": "minor", "compatible": "true"}
    ).json()
    assert {item["id"] for item in mixed["items"]} == {
        str(sample.id) for pair, sample in samples.items() if pair != ("B", "minor")
    }
    missing = api.client.get("/api/v1/samples", params={"key": "A", "compatible": "true"})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "compatible"


def test_similar_samples_are_near_in_tempo_and_compatible_in_key(api: Api) -> None:
    base = make_sample(bpm=120.0, key="A", scale="minor")
    near = make_sample(bpm=123.0, key="C", scale="major")
    nearer = make_sample(bpm=119.0, key="E", scale="minor")
    far_tempo = make_sample(bpm=140.0, key="A", scale="minor")
    clash = make_sample(bpm=120.0, key="F#", scale="major")
    unpublished = make_sample(bpm=120.0, key="A", scale="minor", status=SampleStatus.FAILED)
    api.add(base, near, nearer, far_tempo, clash, unpublished)
    body = api.client.get(f"/api/v1/samples/{base.id}/similar").json()
    assert [item["id"] for item in body] == [str(nearer.id), str(near.id)]
    assert api.client.get(f"/api/v1/samples/{base.id}/similar?limit=1").json()[0]["id"] == str(
        nearer.id
    )


def test_the_pipeline_dashboard_and_retry(api: Api) -> None:
    failed = make_sample(status=SampleStatus.FAILED, error_code="private", error_message="private")
    waiting = make_sample(status=SampleStatus.PENDING)
    done = make_sample(processed_at=utcnow() - timedelta(minutes=1))
    api.add(failed, waiting, done)
    body = api.client.get("/api/v1/pipeline").json()
    assert body["counts"] == {"pending": 1, "processing": 0, "completed": 1, "failed": 1}
    assert body["failed"][0]["id"] == str(failed.id)
    assert body["failed"][0]["error_code"] == "private"
    assert [item["id"] for item in body["pending"]] == [str(waiting.id)]
    assert [item["id"] for item in body["recent"]] == [str(done.id)]
    assert api.client_from("203.0.113.9").get("/api/v1/pipeline").status_code in (401, 403)
    retried = api.client.post(f"/api/v1/samples/{failed.id}/retry").json()
    assert retried["status"] == "started" and retried["operation_id"]
    assert queued_workflow_ids(f"sample-{failed.id}-g1")
    again = api.client.get("/api/v1/pipeline").json()
    assert again["counts"]["failed"] == 0 and again["counts"]["pending"] == 2


def test_similar_counts_half_and_double_time_then_the_closer_key_then_shared_tags(
    api: Api,
) -> None:
    base = make_sample(bpm=90.0, key="A", scale="minor", tags=["lofi", "dusty"])
    double = make_sample(bpm=181.0, key="E", scale="minor")  # 90.5 at half time
    same_key = make_sample(bpm=90.0, key="A", scale="minor")
    relative = make_sample(bpm=90.0, key="C", scale="major")
    tagged_fifth = make_sample(bpm=90.0, key="D", scale="minor", tags=["lofi", "dusty"])
    fifth = make_sample(bpm=90.0, key="D", scale="minor")
    api.add(base, double, same_key, relative, tagged_fifth, fifth)
    body = api.client.get(f"/api/v1/samples/{base.id}/similar").json()
    assert [item["id"] for item in body] == [
        str(sample.id) for sample in (same_key, relative, tagged_fifth, fifth, double)
    ]
