"""A real failure's message, as the public API and as the admin pipeline view show it."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cratedig.api import create_app
from cratedig.public_errors import public_error_message
from tests.api.conftest import api_settings
from tests.fixtures.http_server import LoopbackServer, Route, loopback_server

VISITOR = ("203.0.113.7", 40000)  # not loopback: never an admin


@pytest.fixture(scope="module")
def empty_source() -> Iterator[LoopbackServer]:
    """/empty.mp4: a 200 with no body, which the media probe refuses naming its file."""
    with loopback_server(
        {"/empty.mp4": Route(body=b"", headers={"Content-Type": "video/mp4"})}
    ) as server:
        yield server


def wait_failed(client: TestClient, sample_id: str) -> dict[str, Any]:
    """Poll the public status until the sample has failed."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get(f"/api/v1/samples/{sample_id}/status").json()
        if status["status"] == "failed":
            return status
        time.sleep(0.1)
    raise AssertionError(f"sample {sample_id} did not fail: {status}")


def test_a_failed_pipeline_shows_no_host_path_to_the_public(
    tmp_path: Path, empty_source: LoopbackServer
) -> None:
    settings = api_settings(tmp_path, f"sqlite:///{tmp_path / 'app.db'}", embedded_worker=True)
    app = create_app(settings)
    with TestClient(app, client=("127.0.0.1", 50000)) as admin:
        answer = admin.post("/api/v1/samples", json={"url": f"{empty_source.base}/empty.mp4"})
        assert answer.status_code == 202, answer.text
        sample_id = answer.json()["id"]
        visitor = TestClient(app, client=VISITOR)
        status = wait_failed(visitor, sample_id)
        detail = visitor.get(f"/api/v1/samples/{sample_id}").json()
        failed = admin.get("/api/v1/pipeline").json()["failed"]
    temp_root = tempfile.gettempdir()
    for message in (
        status["error_message"],
        detail["error_message"],
        *(step["error"] for step in status["steps"] if step["error"]),
    ):
        assert "file is empty" in message
        assert temp_root not in message and "cratedig-job-" not in message
        assert str(tmp_path) not in message and "/" not in message
    assert (status["error_code"], status["step"]) == ("media", "fetch_source")
    # The admin view keeps the full detail, folder included.
    [row] = [item for item in failed if item["id"] == sample_id]
    assert "cratedig-job-" in row["error_message"] and "file is empty" in row["error_message"]


@pytest.mark.parametrize(
    ("code", "message", "public"),
    [
        ("media", "/tmp/cratedig-job-x1/source: file is empty", "source: file is empty"),
        (
            "media",
            "ffmpeg failed on '/srv/cratedig/tmp/in.mp4': bad data (retry 1 of 3 in 2 s)",
            "ffmpeg failed on 'in.mp4': bad data (retry 1 of 3 in 2 s)",
        ),
        (
            "network",
            "HTTP 502 from https://u:p@cdn.example.com:8443/v/x.mp4?sig=abc",
            "HTTP 502 from https://cdn.example.com",
        ),
        ("network", "proxy socks5://u:p@10.0.0.9:1080 refused", "proxy <url> refused"),
        ("not_found", r"C:\Users\op\AppData\x.mp4 gone, http://[::1/x", "x.mp4 gone, <url>"),
        (
            "storage",
            "put file:///srv/media/staging/x: Permission denied (retry 2 of 3 in 4 s)",
            "a storage error; the operators have the details (retry 2 of 3 in 4 s)",
        ),
        (
            "database",
            "database connection lost: db.internal:5432 refused",
            "a database error; the operators have the details",
        ),
        (
            "internal",
            "KeyError: '/etc/cratedig.env'",
            "an unexpected error; the operators have the details",
        ),
        (None, "HTTP 500 from https://storage.internal/bucket/k", "HTTP 500 from <url>"),
        ("media", "bpm 1/2 of 3/4", "bpm 1/2 of 3/4"),
    ],
)
def test_public_error_message(code: str | None, message: str, public: str) -> None:
    assert public_error_message(code, message) == public
