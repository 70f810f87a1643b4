"""Logs: JSON lines with request ids, and no secret ever written (requests and a pipeline)."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cratedig.api import create_app
from cratedig.config import Settings
from cratedig.logging import OUR_HANDLER, REDACTED, configure_logging
from tests.api.conftest import LOOPBACK, api_settings
from tests.fixtures.http_server import Route, loopback_server
from tests.fixtures.media import make_clip

ADMIN_TOKEN = "admin-TOKEN-never-logged-0123456789"
S3_SECRET = "s3-SECRET-never-logged-abcdef"
PROXY_PASSWORD = "proxy-PASS-never-logged"
PROXY = f"http://crate-user:{PROXY_PASSWORD}@127.0.0.1:9"
COOKIE_VALUE = "cookie-VALUE-never-logged-42"
SECRETS = (ADMIN_TOKEN, S3_SECRET, PROXY_PASSWORD, COOKIE_VALUE)
_TOUCHED = ("", "dbos", "uvicorn", "uvicorn.error", "uvicorn.access")


def cookies_file(tmp: Path) -> Path:
    """A Netscape cookies file holding one session cookie."""
    path = tmp / "cookies.txt"
    line = "\t".join([".tiktok.com", "TRUE", "/", "TRUE", "0", "sessionid", COOKIE_VALUE])
    path.write_text("# Netscape HTTP Cookie File\n" + line + "\n")
    return path


def secret_settings(tmp: Path, **kw: Any) -> Settings:
    """Settings carrying every kind of secret, logging JSON at DEBUG."""
    fields: dict[str, Any] = {
        "admin_token": ADMIN_TOKEN,
        "s3_secret_access_key": S3_SECRET,
        "tiktok_proxy": PROXY,
        "tiktok_cookies_file": cookies_file(tmp),
        "log_format": "json",
        "log_level": "DEBUG",
        "fetch_attempts": 1,
    }
    fields.update(kw)
    return api_settings(tmp, f"sqlite:///{tmp / 'app.db'}", **fields)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the loggers configure_logging changes back as they were."""
    saved = {}
    for name in _TOUCHED:
        logger = logging.getLogger(name)
        saved[name] = (list(logger.handlers), logger.level, logger.propagate)
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if handler.get_name() == OUR_HANDLER:
                logger.removeHandler(handler)
        for handler in handlers:
            if handler not in logger.handlers:
                logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line parsed as JSON (a line that is not JSON fails the test)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def assert_no_secret(text: str) -> None:
    """None of the configured secrets appears anywhere in `text`."""
    for secret in SECRETS:
        assert secret not in text, f"{secret} was logged"


@pytest.mark.usefixtures("restore_logging")
def test_secret_shapes_and_values_are_redacted(tmp_path: Path) -> None:
    settings = secret_settings(tmp_path)
    assert_no_secret(repr(settings) + str(settings))
    out = io.StringIO()
    configure_logging(settings, out)
    log = logging.getLogger("cratedig.test")
    log.info("token %s and key %s", ADMIN_TOKEN, S3_SECRET)
    log.warning("proxy %s failed", PROXY, extra={"proxy": PROXY, "attempt": 2})
    log.info("headers: Authorization: Bearer some-other-token / Cookie: sessionid=abc; x=y")
    log.info("settings %r", settings.model_dump())
    try:
        raise ValueError(f"cannot reach {PROXY} with cookie {COOKIE_VALUE}")
    except ValueError:
        log.exception("fetch failed")
    text = out.getvalue()
    assert_no_secret(text)
    assert "some-other-token" not in text and "sessionid=abc" not in text
    lines = json_lines(text)
    assert [line["level"] for line in lines] == ["INFO", "WARNING", "INFO", "INFO", "ERROR"]
    assert {"time", "level", "logger", "message", "request_id"} <= lines[0].keys()
    assert lines[1]["attempt"] == 2 and lines[1]["proxy"].endswith(f"{REDACTED}@127.0.0.1:9")
    assert "crate-user" in lines[1]["message"]  # the user name stays, for the operator
    assert "ValueError" in lines[4]["exception"]


@pytest.mark.usefixtures("restore_logging")
def test_text_format_outside_production(tmp_path: Path) -> None:
    out = io.StringIO()
    configure_logging(secret_settings(tmp_path, log_format="auto"), out)
    logging.getLogger("cratedig.test").info("token is %s", ADMIN_TOKEN)
    assert out.getvalue().rstrip().endswith(f"cratedig.test: token is {REDACTED}")
    assert secret_settings(tmp_path, log_format="auto", env="production").json_logs


def wait_for(client: TestClient, sample_id: str, statuses: set[str]) -> dict[str, Any]:
    """Poll a sample's status until it reaches one of `statuses` (120 s at most)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get(f"/api/v1/samples/{sample_id}/status").json()
        if status["status"] in statuses:
            return status
        time.sleep(0.2)
    raise AssertionError(f"sample {sample_id} never reached {statuses}")


@pytest.mark.usefixtures("restore_logging")
def test_requests_and_pipelines_log_json_with_request_ids_and_no_secret(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", 3.0, video=True).read_bytes()
    routes = {"/clip.mp4": Route(body=clip, headers={"Content-Type": "video/mp4"})}
    settings = secret_settings(tmp_path, embedded_worker=True)
    out = io.StringIO()
    configure_logging(settings, out)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with loopback_server(routes) as media, TestClient(create_app(settings), client=LOOPBACK) as c:
        posted = c.post(
            "/api/v1/samples",
            json={"url": f"{media.base}/clip.mp4?token={ADMIN_TOKEN}"},
            headers={"X-Request-ID": "req-e2e-1"},
        )
        assert posted.status_code == 202 and posted.headers["x-request-id"] == "req-e2e-1"
        assert wait_for(c, posted.json()["id"], {"completed", "failed"})["status"] == "completed"
        # A TikTok post fetched through the (unreachable) proxy, with the cookies: fails.
        tiktok = c.post(
            "/api/v1/samples", json={"url": "https://www.tiktok.com/@a/video/7301234567890123456"}
        )
        assert wait_for(c, tiktok.json()["id"], {"completed", "failed"})["status"] == "failed"
        assert c.get("/api/v1/pipeline", headers=admin).status_code == 200
        wrong = {"Authorization": f"Bearer {ADMIN_TOKEN[:-1]}", "Cookie": f"s={COOKIE_VALUE}"}
        assert c.get("/api/v1/pipeline", headers=wrong).status_code == 403
        assert c.get("/api/v1/nothing-here", params={"token": ADMIN_TOKEN}).status_code == 404
    text = out.getvalue()
    assert_no_secret(text)
    assert ADMIN_TOKEN[:-1] not in text
    assert "clip.mp4?token=[redacted]" in text  # httpx's own line about the media fetch
    lines = json_lines(text)
    access = [line for line in lines if line["logger"] == "cratedig.access"]
    first = [line for line in access if line["request_id"] == "req-e2e-1"]
    assert [(x["method"], x["path"], x["status"]) for x in first] == [
        ("POST", "/api/v1/samples", 202)
    ]
    assert all(isinstance(x["ms"], float) and x["request_id"] for x in access)
    assert ("GET", "/api/v1/pipeline", 403) in {
        (x["method"], x["path"], x["status"]) for x in access
    }
    assert any(
        line["logger"].startswith(("dbos", "cratedig.")) for line in lines if line not in access
    )
