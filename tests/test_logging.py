"""Logs: JSON lines with request ids, and no secret ever written (requests and a pipeline)."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from cratedig.api import create_app
from cratedig.config import Settings
from cratedig.logging import OUR_HANDLER, REDACTED, configure_logging
from tests.api.conftest import LOOPBACK, api_settings
from tests.db.conftest import create_postgres_database, drop_postgres_database
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
        failed = wait_for(c, tiktok.json()["id"], {"completed", "failed"})
        assert failed["status"] == "failed" and failed["error_code"] == "network"
        assert_no_secret(json.dumps(failed))  # the public error message names no secret either
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


CRATEDIG = [sys.executable, "-m", "cratedig.cli"]


@pytest.fixture
def production_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A production environment on a fresh PostgreSQL database, with every secret set."""
    url = create_postgres_database("cratedig_logs")
    env = dict(os.environ) | {
        "CRATEDIG_ENV": "production",
        "CRATEDIG_ADMIN_TOKEN": ADMIN_TOKEN,
        "CRATEDIG_S3_SECRET_ACCESS_KEY": S3_SECRET,
        "CRATEDIG_TIKTOK_PROXY": PROXY,
        "CRATEDIG_TIKTOK_COOKIES_FILE": str(cookies_file(tmp_path)),
        "CRATEDIG_DATABASE_URL": url.render_as_string(hide_password=False),
        "CRATEDIG_DATA_DIR": str(tmp_path),
        "CRATEDIG_STORAGE_URL": f"file://{tmp_path / 'media'}",
        "CRATEDIG_EMBEDDED_WORKER": "false",
    }
    try:
        yield env
    finally:
        drop_postgres_database(url)


def test_serve_in_production_writes_json_lines(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as err:
        server = subprocess.Popen(
            [*CRATEDIG, "serve", "--port", str(port)],
            env=production_env,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 90
        ids = iter(f"probe-{n}" for n in range(10_000))
        while True:
            assert server.poll() is None, stderr.read_text()[-2000:]
            assert time.monotonic() < deadline, stderr.read_text()[-3000:]
            try:
                probe = next(ids)
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/health",
                    headers={"X-Request-ID": probe, "Authorization": f"Bearer {ADMIN_TOKEN}"},
                    timeout=2,
                )
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert answer.headers["x-request-id"] == probe
        server.send_signal(signal.SIGTERM)
        # uvicorn shuts down, then re-raises the signal it caught: -SIGTERM is a clean stop.
        assert server.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    text = stderr.read_text()
    assert_no_secret(text + (server.stdout.read().decode() if server.stdout else ""))
    lines = json_lines(text)  # uvicorn's, DBOS's and ours: every line is JSON
    loggers = {line["logger"] for line in lines}
    assert {"cratedig.access", "uvicorn.error"} <= loggers
    health = [x for x in lines if x["logger"] == "cratedig.access" and x["request_id"] == probe]
    assert [(x["path"], x["status"]) for x in health] == [("/health", 200)]
    assert any("Application startup complete" in x["message"] for x in lines)


def test_worker_refuses_weak_production_settings(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    env = production_env | {"CRATEDIG_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    done = subprocess.run(
        [*CRATEDIG, "worker"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "refusing to start" in done.stderr and "not SQLite" in done.stderr
    assert_no_secret(done.stdout + done.stderr)
