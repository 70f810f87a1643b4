"""CORS (closed by default), the per-client submission rate limit, and request ids."""

from __future__ import annotations

import ipaddress
import itertools
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cratedig.api import create_app
from cratedig.config import Settings
from cratedig.db import make_engine, make_read_engine, make_session_factory
from cratedig.http.clients import client_address
from cratedig.http.request_context import incoming_request_id
from cratedig.runtime import Runtime
from cratedig.storage import storage_from_settings
from tests.api.conftest import LOOPBACK, api_settings
from tests.fixtures.http_server import free_port

ALLOWED_ORIGIN = "https://crates.example.org"
TOKEN = "http-guards-token-0123456789"
_urls = itertools.count()


def unstarted_app(tmp: Path, **kw: Any) -> FastAPI:
    """An app whose lifespan is not run: enough for middleware answering on their own."""
    return create_app(api_settings(tmp, f"sqlite:///{tmp / 'app.db'}", **kw))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """A started app on SQLite."""
    tmp = tmp_path_factory.mktemp("http")
    application = create_app(api_settings(tmp, f"sqlite:///{tmp / 'app.db'}"))
    with TestClient(application, client=LOOPBACK):
        yield application


def settings_of(app: FastAPI) -> Settings:
    """The app's settings object (tests change it with monkeypatch)."""
    settings: Settings = app.state.settings
    return settings


def submit(client: TestClient, **kw: Any) -> Any:
    """Submit a new direct media URL on an allowed host."""
    url = f"https://media.example.com/loop-{next(_urls)}.mp4"
    return client.post("/api/v1/samples", json={"url": url}, **kw)


class TestCors:
    def test_closed_by_default(self, tmp_path: Path) -> None:
        client = TestClient(unstarted_app(tmp_path))
        preflight = client.options(
            "/api/v1/samples",
            headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        simple = client.get("/openapi.json", headers={"Origin": ALLOWED_ORIGIN})
        assert simple.status_code == 200
        for response in (preflight, simple):
            cors = [h for h in response.headers if h.lower().startswith("access-control-")]
            assert cors == []

    def test_listed_origins_only(self, tmp_path: Path) -> None:
        origins = f"{ALLOWED_ORIGIN}, http://localhost:5173"
        client = TestClient(unstarted_app(tmp_path, cors_origins=origins))
        ask = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        preflight = client.options("/api/v1/samples", headers={"Origin": ALLOWED_ORIGIN, **ask})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in preflight.headers
        refused = client.options(
            "/api/v1/samples", headers={"Origin": "https://evil.example", **ask}
        )
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        simple = client.get("/openapi.json", headers={"Origin": "http://localhost:5173"})
        assert simple.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
        other = client.get("/openapi.json", headers={"Origin": "https://evil.example"})
        assert other.status_code == 200
        assert "access-control-allow-origin" not in other.headers

    def test_origins_must_be_origins(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="not an origin"):
            api_settings(tmp_path, "sqlite://", cors_origins="crates.example.org")


class TestSubmitRateLimit:
    def test_a_client_over_the_rate_gets_429_with_retry_after(
        self, app: FastAPI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(settings_of(app), "submit_rate_per_minute", 3)
        client = TestClient(app, client=("203.0.113.10", 40000))
        assert [submit(client).status_code for _ in range(3)] == [202, 202, 202]
        refused = submit(client)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 20  # one token every 20 s
        # Other clients, other routes, and reads are not affected.
        assert submit(TestClient(app, client=("203.0.113.11", 40000))).status_code == 202
        assert client.get("/api/v1/samples").status_code == 200

    def test_admins_are_not_limited(self, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(settings_of(app), "submit_rate_per_minute", 1)
        loopback = TestClient(app, client=LOOPBACK)  # an admin while no token is set
        assert [submit(loopback).status_code for _ in range(3)] == [202, 202, 202]
        monkeypatch.setattr(settings_of(app), "admin_token", TOKEN)
        remote = TestClient(app, client=("203.0.113.12", 40000))
        admin = {"Authorization": f"Bearer {TOKEN}"}
        assert [submit(remote, headers=admin).status_code for _ in range(3)] == [202] * 3
        wrong = {"Authorization": f"Bearer {TOKEN}x"}
        assert [submit(remote, headers=wrong).status_code for _ in range(2)] == [202, 429]
        assert submit(loopback).status_code == 202  # the first loopback submit with a token
        assert submit(loopback).status_code == 429  # loopback is no admin once a token is set

    def test_crate_downloads_spend_from_a_bucket_of_their_own(
        self, app: FastAPI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(settings_of(app), "submit_rate_per_minute", 1)
        client = TestClient(app, client=("203.0.113.15", 40000))
        crate = {"ids": [str(uuid.uuid4())]}
        first = client.post("/api/v1/crates/download", json=crate)
        assert first.status_code == 422  # past the limit: the id is unknown
        refused = client.post("/api/v1/crates/download", json=crate)
        assert refused.status_code == 429
        assert refused.json()["error"]["message"].startswith("too many crate downloads")
        assert submit(client).status_code == 202  # submissions keep their own bucket

    def test_zero_disables_it(self, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(settings_of(app), "submit_rate_per_minute", 0)
        client = TestClient(app, client=("203.0.113.13", 40000))
        assert {submit(client).status_code for _ in range(5)} == {202}

    def test_forwarded_for_counts_only_from_trusted_proxies(
        self, app: FastAPI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(settings_of(app), "submit_rate_per_minute", 1)
        spoofer = TestClient(app, client=("203.0.113.14", 40000))
        first = submit(spoofer, headers={"X-Forwarded-For": "198.51.100.1"})
        second = submit(spoofer, headers={"X-Forwarded-For": "198.51.100.2"})
        assert (first.status_code, second.status_code) == (202, 429)
        monkeypatch.setattr(settings_of(app), "trusted_proxies", "10.0.0.0/8")
        proxy = TestClient(app, client=("10.1.2.3", 40000))
        a1 = submit(proxy, headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.21"})
        b1 = submit(proxy, headers={"X-Forwarded-For": "198.51.100.22"})
        a2 = submit(proxy, headers={"X-Forwarded-For": "7.7.7.7, 198.51.100.21"})
        assert [a1.status_code, b1.status_code, a2.status_code] == [202, 202, 429]

    def test_an_unreachable_database_lets_submissions_through_with_a_warning(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        app = unstarted_app(tmp_path, submit_rate_per_minute=1)
        settings = settings_of(app)
        dead = make_engine(f"postgresql://cratedig@127.0.0.1:{free_port()}/gone")
        storage = storage_from_settings(settings)
        app.state.runtime = Runtime(
            settings, dead, make_session_factory(dead), storage, make_read_engine(dead)
        )
        client = TestClient(app, client=("203.0.113.15", 40000), raise_server_exceptions=False)
        with caplog.at_level(logging.WARNING, logger="cratedig.api"):
            answers = [submit(client).status_code for _ in range(2)]
        assert 429 not in answers  # open: the submission itself then fails on the database
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert sum("submission rate limit not applied" in w for w in warnings) == 2, warnings


def test_client_address_walks_forwarded_for_from_the_right() -> None:
    proxies = (ipaddress.ip_network("10.0.0.0/8"),)

    def scope(peer: str, forwarded: str | None) -> dict[str, Any]:
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
        return {"client": (peer, 1), "headers": headers}

    assert client_address(scope("203.0.113.1", "1.2.3.4"), proxies) == "203.0.113.1"
    assert client_address(scope("10.0.0.1", "1.2.3.4, 10.0.0.2"), proxies) == "1.2.3.4"
    assert client_address(scope("10.0.0.1", "evil, 1.2.3.4"), proxies) == "1.2.3.4"
    assert client_address(scope("10.0.0.1", "not-an-ip"), proxies) == "10.0.0.1"
    assert client_address(scope("10.0.0.1", None), proxies) == "10.0.0.1"
    assert client_address(scope("10.0.0.1", "1.2.3.4"), ()) == "10.0.0.1"


class TestRequestId:
    def test_generated_echoed_or_replaced(self, tmp_path: Path) -> None:
        client = TestClient(unstarted_app(tmp_path))
        fresh = client.get("/openapi.json").headers["x-request-id"]
        assert len(fresh) == 32 and fresh != client.get("/openapi.json").headers["x-request-id"]
        given = client.get("/openapi.json", headers={"X-Request-ID": "lb-7f3a.91:2"})
        assert given.headers["x-request-id"] == "lb-7f3a.91:2"
        for bad in ("a" * 129, "has space", "new\\nline", "<script>", "é"):
            assert incoming_request_id(bad) != bad
        errors = client.get("/no/such/page", headers={"X-Request-ID": "x" * 200})
        assert errors.status_code == 404 and len(errors.headers["x-request-id"]) == 32
