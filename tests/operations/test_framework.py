"""Adding a kind is one module: a kind declared here (as a module of operations/kinds/ would
declare it) runs through the one runner, gets its API route and its command, and is recorded
like the others."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import Field, StrictInt
from sqlalchemy.orm import Session

from cratedig.api import create_app
from cratedig.models import Sample
from cratedig.operations import command
from cratedig.operations.framework import Kind, Work, kind_names, register_kind
from cratedig.operations.library_repository import sample_ids, sample_with_creator
from cratedig.operations.repository import operation_report
from cratedig.operations.runner import run_operation, start_operation
from cratedig.operations.schemas import OperationRequest
from cratedig.operations.states import Item, ItemState, Outcome, Selection, Subject
from cratedig.runtime import Runtime
from tests.api.conftest import LOOPBACK, api_settings
from tests.fixtures.factories import make_sample
from tests.operations.conftest import add


class ShoutRequest(OperationRequest):
    """At most N samples."""

    limit: StrictInt | None = Field(None, ge=1, description="at most N samples")


class ShoutTitles(Kind[ShoutRequest]):
    """A kind as small as one gets: upper-case each sample's title."""

    name = "shout_titles"
    path = "/admin/shout-titles"
    summary = "upper-case every sample's title"
    request_model = ShoutRequest

    def select(
        self, runtime: Runtime, session: Session, request: ShoutRequest, only: Sequence[uuid.UUID]
    ) -> Selection:
        return Selection(
            [Item(Subject.SAMPLE, i) for i in sample_ids(session, None, request.limit)]
        )

    def why_not_due(self, work: Work, session: Session, item: Item) -> str | None:
        sample = sample_with_creator(session, item.id)
        return (
            "already shouting" if sample and sample.title == (sample.title or "").upper() else None
        )

    def handle(self, work: Work, item: Item) -> Outcome:
        with work.transaction() as session:
            sample = session.get(Sample, item.id)
            assert sample is not None and sample.title
            sample.title = sample.title.upper()
            return Outcome(ItemState.DONE, sample.title)


@pytest.fixture
def shout() -> Iterator[ShoutTitles]:
    """The extra kind, registered for one test only."""
    unregister = register_kind(ShoutTitles())
    yield ShoutTitles()
    unregister()


def titles(runtime: Runtime) -> list[str]:
    with runtime.transaction() as session:
        return sorted(s.title or "" for s in session.query(Sample))


def test_the_runner_records_counts_and_reruns_a_new_kind_safely(
    runtime: Runtime, shout: ShoutTitles
) -> None:
    add(runtime, make_sample(title="one"), make_sample(title="two"), make_sample(title="THREE"))
    assert "shout_titles" in kind_names()

    started = start_operation(runtime, shout, ShoutRequest(), origin="cli")
    result = run_operation(runtime, started.operation_id)

    assert titles(runtime) == ["ONE", "THREE", "TWO"]
    assert (result.tally.of(ItemState.DONE), result.tally.of(ItemState.SKIPPED)) == (2, 1)
    with runtime.transaction() as session:
        report = operation_report(session, started.operation_id)
    assert report is not None and report.kind == "shout_titles" and report.status == "completed"
    assert (report.items.done, report.items.skipped, report.items.pending) == (2, 1, 0)
    assert report.message == "2 of 3 samples done; 0 failed, 1 skipped"


def test_a_new_kind_gets_its_command_with_flags_from_its_request(
    runtime: Runtime, shout: ShoutTitles
) -> None:
    add(runtime, make_sample(title="quiet"), make_sample(title="calm"))
    parser = argparse.ArgumentParser(prog="cratedig shout-titles")
    command.add_kind_arguments(parser, "shout_titles")
    args = parser.parse_args(["--limit", "1", "--dry-run"])
    assert (args.limit, args.dry_run) == (1, True)

    lines: list[str] = []
    command.execute(runtime, "shout_titles", command.request_from(shout, args), out=lines.append)

    assert titles(runtime) == ["calm", "quiet"]  # a dry run: listed, recorded, nothing changed
    assert lines[0] == "Found 1 samples" and lines[1].startswith("DRY RUN: 1 samples")


def test_a_new_kind_gets_its_api_route(tmp_path: Path, shout: ShoutTitles) -> None:
    app = create_app(api_settings(tmp_path, f"sqlite:///{tmp_path / 'app.db'}"))
    with TestClient(app, client=LOOPBACK) as client:
        runtime: Runtime = app.state.runtime
        add(runtime, make_sample(title="loud"))
        dry = client.post("/api/v1/admin/shout-titles", json={"dry_run": True}).json()
        assert (dry["status"], dry["total_samples"]) == ("dry_run", 1)
        bad = client.post("/api/v1/admin/shout-titles", json={"limit": 0})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "limit"
        started = client.post("/api/v1/admin/shout-titles", json={}).json()
        assert started["status"] == "started"
        run_operation(runtime, uuid.UUID(started["operation_id"]))  # as the worker would
        report = client.get(f"/api/v1/operations/{started['operation_id']}").json()
        assert (report["kind"], report["items"]["done"]) == ("shout_titles", 1)
        assert titles(runtime) == ["LOUD"]
