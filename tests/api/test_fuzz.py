"""Fuzz every operation of the OpenAPI schema with schemathesis, as an admin and anonymously.

Checks per response: no 5xx, a documented status code, a body matching the documented
schema, a documented content type. Bounded and derandomized so the run is stable:
`CRATEDIG_FUZZ_EXAMPLES` (default 6) examples per operation and generation mode. As an
admin, every operation must also answer at least once with a success.

The app runs its real lifespan on PostgreSQL (admin pass) or SQLite (anonymous pass) and
local storage without a worker, so the
operations that start background work only record and queue it. The only allowed source
host is loopback and TikTok traffic goes to a dead loopback proxy: nothing reaches the internet.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import ASGIClient

from cratedig.api import create_app
from cratedig.config import Settings
from cratedig.models import Operation, OperationItem, SampleStatus
from tests.api.conftest import LOOPBACK, api_settings
from tests.db.conftest import create_postgres_database, drop_postgres_database
from tests.fixtures.factories import make_creator, make_sample

# schemathesis's own negative strategies draw from `random` (seeded by hypothesis per example).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module:hypothesis.errors.HypothesisDeprecationWarning"
)
EXAMPLES = int(os.environ.get("CRATEDIG_FUZZ_EXAMPLES", "6"))
ADMIN_TOKEN = "fuzz-admin-token-0123456789abcdef"
BASE_URL = "http://testserver"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]
CREATOR_NAME = "fuzzcreator"
COMPLETED_ID = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
FAILED_ID = uuid.UUID("00000000-0000-4000-8000-0000000fa11d")
DOOMED_ID = uuid.UUID("00000000-0000-4000-8000-0000000d00ed")
OPERATION_ID = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
WAV_KEY = f"samples/{COMPLETED_ID}/audio.wav"
# Seeded values given as path parameter examples, so handlers get past their 404. Only
# DELETE gets the doomed sample and only retry resets the failed one: which operation runs
# first (or on which xdist worker) changes no other operation's answers.
KNOWN_PATH_VALUES: dict[str, list[str]] = {
    "sample_id": [str(COMPLETED_ID)],
    "username": [CREATOR_NAME],
    "key": [WAV_KEY],
    "operation_id": [str(OPERATION_ID)],
}
KNOWN_FOR: dict[tuple[str, str], dict[str, list[str]]] = {
    ("DELETE", "/api/v1/samples/{sample_id}"): {"sample_id": [str(DOOMED_ID)]},
    ("POST", "/api/v1/samples/{sample_id}/retry"): {"sample_id": [str(FAILED_ID)]},
    ("GET", "/api/v1/samples/{sample_id}/status"): {"sample_id": [str(FAILED_ID)]},
}


def _schema_document() -> dict[str, Any]:
    """The app's OpenAPI document, with the seeded rows as examples of the path parameters."""
    # Building the app touches nothing: the lifespan (database, storage, DBOS) never runs.
    app = create_app(Settings(env="development", admin_token=ADMIN_TOKEN, embedded_worker=False))
    document = copy.deepcopy(app.openapi())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            known = KNOWN_FOR.get((method.upper(), path), KNOWN_PATH_VALUES)
            for parameter in operation.get("parameters", []):
                values = known.get(parameter["name"]) if parameter["in"] == "path" else None
                if values:
                    parameter["examples"] = {
                        f"seeded{i}": {"value": v} for i, v in enumerate(values)
                    }
    # A crate of the seeded sample, so the crate download gets past its 422 for unknown ids.
    crate = document["paths"]["/api/v1/crates/download"]["post"]["requestBody"]
    crate["content"]["application/json"]["examples"] = {
        "seeded": {"value": {"ids": [str(COMPLETED_ID)]}}
    }
    return document


_CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(_schema_document(), config=_CONFIG)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    """A started worker-less app on local storage, seeded with rows to hit."""
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    pg_url = create_postgres_database("cratedig_fuzz") if request.param == "postgresql" else None
    database_url = (
        pg_url.render_as_string(hide_password=False) if pg_url else f"sqlite:///{tmp / 'app.db'}"
    )
    settings = api_settings(
        tmp,
        database_url,
        admin_token=ADMIN_TOKEN,
        allowed_source_hosts="127.0.0.1",
        tiktok_proxy="http://127.0.0.1:9",
    )
    app = create_app(settings)
    try:
        with TestClient(app, client=LOOPBACK):
            _seed(app, tmp / "media")
            yield app
    finally:
        if pg_url is not None:
            drop_postgres_database(pg_url)


def _seed(app: FastAPI, media_dir: Path) -> None:
    creator = make_creator(username=CREATOR_NAME)
    wav = media_dir / WAV_KEY
    wav.parent.mkdir(parents=True, exist_ok=True)
    wav.write_bytes(b"RIFF0000WAVE")
    completed = make_sample(
        id=COMPLETED_ID, creator=creator, wav_key=WAV_KEY, wav_bytes=12, tags=["lofi", "drums"]
    )
    failed = make_sample(
        id=FAILED_ID,
        status=SampleStatus.FAILED,
        step="fetch_source",
        error_code="network",
        error_message="connection refused",
    )
    neighbour = make_sample(creator=creator, bpm=121.0, key="C", scale="major")
    doomed = make_sample(id=DOOMED_ID)
    operation = Operation(
        id=OPERATION_ID, kind="reprocess", params={"filter_status": "failed"}, total=1
    )
    item = OperationItem(
        operation_id=OPERATION_ID, subject_type="sample", subject_id=FAILED_ID, state="queued"
    )
    with app.state.runtime.transaction() as session:
        session.add_all([creator, completed, failed, neighbour, doomed, operation])
        session.flush()
        session.add(item)


@pytest.fixture(scope="module")
def admin_client(fuzz_app: FastAPI) -> Iterator[ASGIClient]:
    """A requests session into the app in-process, sending the admin token."""
    yield from _client(fuzz_app, {"Authorization": f"Bearer {ADMIN_TOKEN}"})


@pytest.fixture(scope="module")
def anonymous_client(fuzz_app: FastAPI) -> Iterator[ASGIClient]:
    """The same app called without a token from a non-loopback client (rate limits apply)."""
    yield from _client(fuzz_app, {})


def _client(app: FastAPI, headers: dict[str, str]) -> Iterator[ASGIClient]:
    # Not entered as a context manager: that would start a second lifespan (and DBOS).
    client = ASGIClient(app, base_url=BASE_URL)
    client.headers.update(headers)
    try:
        yield client
    finally:
        client.close()


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# One database per pass keeps the run short: the admin pass reaches every operation on
# PostgreSQL (strict about types and NUL), the anonymous one runs on the embedded SQLite.
@schema.parametrize()
@FUZZ_SETTINGS
@pytest.mark.parametrize("fuzz_app", ["postgresql"], indirect=True)
def test_admin_gets_documented_answers(
    case: Any, admin_client: ASGIClient, answered: list[int]
) -> None:
    response = case.call_and_validate(base_url=BASE_URL, session=admin_client, checks=CHECKS)
    answered.append(response.status_code)


@schema.parametrize()
@FUZZ_SETTINGS
@pytest.mark.parametrize("fuzz_app", ["sqlite"], indirect=True)
def test_anonymous_callers_get_documented_answers(case: Any, anonymous_client: ASGIClient) -> None:
    case.call_and_validate(base_url=BASE_URL, session=anonymous_client, checks=CHECKS)


@pytest.fixture
def answered() -> Iterator[list[int]]:
    """The status codes of one operation's run; at least one must be a success."""
    statuses: list[int] = []
    yield statuses
    assert any(200 <= status < 400 for status in statuses), f"never got past errors: {statuses}"
