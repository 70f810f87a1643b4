"""The operations API: admin only, strict bodies, dry runs that change nothing, reports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cratedig.artifacts import REQUIRED_ARTIFACTS
from cratedig.models import Operation, Sample, SampleStatus
from cratedig.operations.kinds.reprocess import ReprocessRequest
from cratedig.operations.runner import run_operation
from cratedig.operations.texts.reprocess import reprocess_ids
from tests.api.conftest import Api, queued_workflow_ids
from tests.fixtures.factories import make_creator, make_sample
from tests.operations.plumbing import execute, resume, start


def rows(api: Api) -> list[tuple[Any, ...]]:
    """Every sample's id, status, generation and error, for before/after comparisons."""
    with api.runtime.transaction() as session:
        query = select(Sample.id, Sample.status, Sample.generation, Sample.error_code)
        return sorted(session.execute(query).all())


def library(api: Api) -> list[Sample]:
    """Two completed samples, a failed one, and one without a source URL."""
    creator = make_creator(username="opsuser")
    samples = [
        make_sample(creator=creator),
        make_sample(creator=creator),
        make_sample(status=SampleStatus.FAILED, error_code="network"),
        make_sample(source_url=""),
    ]
    api.add(creator, *samples)
    return samples


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/samples/reprocess", {}),
        ("/api/v1/admin/backfill-hls", {"dry_run": True}),
        ("/api/v1/admin/migrate-media", {"dry_run": True}),
        ("/api/v1/admin/check-links", {}),
        ("/api/v1/admin/reanalyze", {"dry_run": True}),
    ],
)
def test_operations_need_the_admin_token(api: Api, path: str, body: dict[str, Any]) -> None:
    response = api.client_from("203.0.113.9").post(path, json=body)
    assert response.status_code in (401, 403)
    assert api.client_from("203.0.113.9").get("/api/v1/operations").status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filter_status": "archived"}, "filter_status"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"dry_run": "maybe"}, "dry_run"),
        ({"skip_reset": True, "force": True}, "force"),
    ],
)
def test_bad_reprocess_bodies_are_422_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    response = api.client.post("/api/v1/samples/reprocess", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


def test_a_dry_run_lists_the_samples_and_changes_nothing(api: Api) -> None:
    samples = library(api)
    before = rows(api)
    response = api.client.post("/api/v1/samples/reprocess", json={"dry_run": True, "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "dry_run" and body["total_samples"] == 3
    assert body["skipped"] == 1  # the sample without a source URL
    assert {item["id"] for item in body["samples"]} == {str(s.id) for s in samples[:3]}
    assert all(item["reason"] and item["status"] for item in body["samples"])
    assert rows(api) == before
    report = api.client.get(f"/api/v1/operations/{body['operation_id']}").json()
    assert report["dry_run"] and report["status"] == "completed"
    assert report["items"]["pending"] == 3


def test_reprocess_starts_an_operation_the_worker_will_run(api: Api) -> None:
    library(api)
    response = api.client.post("/api/v1/samples/reprocess", json={"filter_status": "failed"})
    body = response.json()
    assert (body["status"], body["total_samples"]) == ("started", 1)
    assert body["message"].startswith("Started reprocessing 1 samples in the background.")
    assert queued_workflow_ids(f"operation-{body['operation_id']}")
    listed = api.client.get("/api/v1/operations").json()
    assert listed[0]["id"] == body["operation_id"] and listed[0]["kind"] == "reprocess"


def test_nothing_to_reprocess_is_completed(api: Api) -> None:
    library(api)
    body = api.client.post("/api/v1/samples/reprocess", json={"filter_status": "pending"}).json()
    assert (body["status"], body["total_samples"]) == ("completed", 0)


def test_an_unknown_operation_is_404(api: Api) -> None:
    response = api.client.get(f"/api/v1/operations/{uuid.uuid4()}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_sample_already_queued_is_not_queued_twice(api: Api) -> None:
    from cratedig.pipeline.queue import enqueue_sample

    waiting = make_sample(status=SampleStatus.PENDING)
    api.add(waiting)
    enqueue_sample(waiting.id, waiting.generation)  # no worker here: it stays queued
    body = api.client.post("/api/v1/samples/reprocess", json={"dry_run": True}).json()
    assert body["status"] == "completed" and body["skipped"] == 1


def test_the_trigger_resets_clears_errors_and_keeps_media(api: Api) -> None:
    failed = make_sample(
        status=SampleStatus.FAILED,
        error_code="network",
        error_message="timed out",
        mp3_key="samples/x/audio.mp3",
    )
    kept = make_sample()
    api.add(failed, kept)
    operation_id, _ = start("reprocess", ReprocessRequest(), origin="cli")
    lines: list[str] = []
    result = resume(operation_id, out=lines.append)
    assert (result.total, result.triggered, result.failed) == (2, 2, 0)
    assert f"  ✓ Pipeline triggered for sample {failed.id}" in lines
    assert f"  Reset sample {failed.id} to pending" in lines
    with api.runtime.transaction() as session:
        again = session.get(Sample, failed.id)
        assert again is not None and again.status is SampleStatus.PENDING
        assert (again.generation, again.error_code, again.error_message) == (1, None, None)
        assert again.mp3_key == "samples/x/audio.mp3"  # replaced only when the run publishes
    assert queued_workflow_ids(f"sample-{failed.id}-g1") and queued_workflow_ids(
        f"sample-{kept.id}-g1"
    )
    report = api.client.get(f"/api/v1/operations/{operation_id}").json()
    assert report["items"]["queued"] == 2 and report["pipeline"]["queued"] == 2


def test_skip_reset_keeps_the_status(api: Api) -> None:
    done = make_sample()
    api.add(done)
    operation_id, _ = start("reprocess", ReprocessRequest(skip_reset=True), "cli", [done.id])
    resume(operation_id)
    with api.runtime.transaction() as session:
        again = session.get(Sample, done.id)
        assert again is not None and again.status is SampleStatus.COMPLETED
        assert again.generation == 1
    assert queued_workflow_ids(f"sample-{done.id}-g1")
    # Its old media still served, it is waiting for its new run, not already done.
    report = api.client.get(f"/api/v1/operations/{operation_id}").json()
    assert (report["pipeline"]["queued"], report["pipeline"]["completed"]) == (1, 0)


def test_a_bulk_enqueue_that_meets_an_existing_workflow_still_queues_every_sample(
    api: Api,
) -> None:
    from cratedig.pipeline.queue import enqueue_sample

    first, second = make_sample(), make_sample()
    api.add(first, second)
    enqueue_sample(first.id, 1)  # the id the bulk enqueue will use: its transaction aborts
    result = reprocess_ids(api.runtime, [first.id, second.id], out=lambda _line: None)
    assert (result.triggered, result.failed) == (2, 0)
    assert queued_workflow_ids(f"sample-{second.id}-g1")


def test_backfill_hls_dry_run_then_start(api: Api) -> None:
    needs = make_sample(mp3_key="samples/a/audio.mp3")
    has = make_sample(mp3_key="samples/b/audio.mp3", hls_key="samples/b/hls/playlist.m3u8")
    api.add(needs, has)
    api.runtime.storage.put_bytes("samples/b/hls/playlist.m3u8", b"#EXTM3U\n")  # its stream
    before = rows(api)
    dry = api.client.post("/api/v1/admin/backfill-hls", json={"dry_run": True}).json()
    assert (dry["status"], dry["total_samples"]) == ("dry_run", 1)
    assert [item["id"] for item in dry["samples"]] == [str(needs.id)]
    assert rows(api) == before
    one = api.client.post("/api/v1/admin/backfill-hls", json={"sample_id": str(needs.id)}).json()
    assert (one["status"], one["total_samples"]) == ("started", 1)
    assert queued_workflow_ids(f"operation-{one['operation_id']}")
    bad = api.client.post("/api/v1/admin/backfill-hls", json={"batch_size": 0})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "batch_size"
    none = api.client.post("/api/v1/admin/backfill-hls", json={"sample_id": str(has.id)}).json()
    assert (none["status"], none["total_samples"]) == ("completed", 0)


def test_broken_links_only_counts_only_the_broken(api: Api) -> None:
    healthy = make_sample(**{a.column: f"samples/h/{a.name}" for a in REQUIRED_ARTIFACTS})  # type: ignore[arg-type]
    broken = make_sample(**{a.column: f"samples/b/{a.name}" for a in REQUIRED_ARTIFACTS})  # type: ignore[arg-type]
    api.add(healthy, broken)
    playlist = b"#EXTM3U\n#EXTINF:2.0,\nsegment_000.ts\n#EXT-X-ENDLIST\n"
    for folder in ("h", "b"):
        api.runtime.storage.put_bytes(f"samples/{folder}/segment_000.ts", b"x" * 200)
        for artifact in REQUIRED_ARTIFACTS:
            if (folder, artifact.name) != ("b", "mp3"):
                body = playlist if artifact.folder is not None else b"x" * 200
                api.runtime.storage.put_bytes(f"samples/{folder}/{artifact.name}", body)
    answer = api.client.post(
        "/api/v1/samples/reprocess", json={"broken_links_only": True, "dry_run": True}
    ).json()
    assert (answer["status"], answer["total_samples"]) == ("dry_run", 1)
    assert answer["samples"][0]["id"] == str(broken.id)
    assert answer["samples"][0]["reason"] == "mp3: no object at samples/b/mp3"


def test_a_busy_sample_is_left_to_its_running_pipeline(api: Api) -> None:
    from cratedig.pipeline.queue import enqueue_sample

    busy, idle = make_sample(status=SampleStatus.PENDING), make_sample()
    api.add(busy, idle)
    enqueue_sample(busy.id, busy.generation)
    result = reprocess_ids(api.runtime, [busy.id, idle.id], out=lambda _line: None)
    assert (result.triggered, result.skipped) == (1, 1)
    assert not queued_workflow_ids(f"sample-{busy.id}-g1")


def listed(api: Api, **params: Any) -> list[str]:
    """The ids the public library lists, page by page."""
    ids: list[str] = []
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        page = api.client.get("/api/v1/samples", params=query).json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def test_a_full_reprocess_keeps_published_samples_listed_and_playable(api: Api) -> None:
    published = [make_sample(mp3_key=f"samples/p{n}/audio.mp3") for n in range(4)]
    never = make_sample(status=SampleStatus.PENDING)  # submitted, nothing published yet
    api.add(*published, never)
    newest_first = [str(s.id) for s in reversed(published)]
    assert listed(api) == newest_first

    body = api.client.post("/api/v1/samples/reprocess", json={"limit": 2}).json()
    run_operation(api.runtime, uuid.UUID(body["operation_id"]))  # as the worker does it

    statuses = {row[0]: row[1] for row in rows(api)}
    assert [statuses[s.id] for s in published] == [SampleStatus.PENDING] * 2 + [
        SampleStatus.COMPLETED
    ] * 2
    assert listed(api) == newest_first  # pending (being reprocessed) and completed, merged
    assert listed(api, limit=1) == newest_first  # across pages too
    assert listed(api, sort="oldest", limit=3) == newest_first[::-1]
    first = api.client.get("/api/v1/samples", params={"limit": 100}).json()["items"][-1]
    assert first["audio_url_mp3"].startswith("/media/samples/p0/audio.mp3")
    assert str(never.id) not in listed(api)
    admin = listed(api, status="pending")
    assert set(admin) == {str(s.id) for s in (*published[:2], never)}  # the exact status


def test_the_reprocess_text_shows_the_status_before_and_totals_that_add_up(api: Api) -> None:
    no_url = make_sample(source_url="")
    failed = make_sample(status=SampleStatus.FAILED)
    done, later = make_sample(), make_sample()
    api.add(no_url, failed, done, later)
    lines: list[str] = []

    text = execute("reprocess", ReprocessRequest(limit=2), out=lines.append)

    assert f"  Current status: {SampleStatus.FAILED.value}" in lines  # before its reset
    assert "  Current status: completed" in lines
    summary = lines[lines.index("REPROCESSING COMPLETE") :]
    # The walk passed over one sample before it had chosen two; the last was never reached.
    assert [
        line for line in summary if line.startswith(("Total", "Successfully", "Failed", "Skip"))
    ] == ["Total samples: 3", "Successfully triggered: 2", "Failed: 0", "Skipped: 1"]
    assert text.summary.total == text.summary.triggered + text.summary.failed + 1


def test_backfill_hls_of_an_unknown_sample_is_404(api: Api) -> None:
    missing = uuid.uuid4()
    response = api.client.post("/api/v1/admin/backfill-hls", json={"sample_id": str(missing)})
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": f"no sample {missing}",
        "field": "sample_id",
    }


def test_the_listing_pages_by_cursor_through_every_operation_once(api: Api) -> None:
    base = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    # Two pairs share a time: the id breaks the tie, so no operation is skipped or repeated.
    times = [base, base, base + timedelta(seconds=1), base - timedelta(days=3), base]
    operations = [Operation(kind="check_links", params={}, created_at=when) for when in times]
    api.add(*operations)
    everything = [op["id"] for op in api.client.get("/api/v1/operations").json()]
    assert len(everything) == 5
    seen: list[str] = []
    response = api.client.get("/api/v1/operations", params={"limit": 2})
    pages = 1
    while "link" in response.headers:
        seen += [op["id"] for op in response.json()]
        link = response.headers["link"]
        assert link.endswith('>; rel="next"') and "limit=2" in link
        response = api.client.get(link[1 : link.index(">")])
        pages += 1
    seen += [op["id"] for op in response.json()]
    assert (seen, pages) == (everything, 3)
