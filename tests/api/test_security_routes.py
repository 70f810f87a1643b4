"""Every route is either on the explicit public list or refuses callers without admin rights.

A new route that is neither listed here nor protected by `AdminDep` fails these tests.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cratedig.api import create_app
from tests.api.conftest import LOOPBACK, api_settings

OUTSIDER = ("203.0.113.7", 40000)
TOKEN = "route-table-token-0123456789"

# (method, path template) anyone may call. Keep this list short and deliberate.
PUBLIC_ROUTES = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),  # Swagger UI from our own assets (ReDoc is off: it needs a CDN)
    ("GET", "/health"),
    ("POST", "/api/v1/samples"),
    ("GET", "/api/v1/samples"),  # completed samples only; `status` needs an admin (tested below)
    ("GET", "/api/v1/samples/{sample_id}"),
    ("GET", "/api/v1/samples/{sample_id}/similar"),
    ("GET", "/api/v1/samples/{sample_id}/status"),
    ("GET", "/api/v1/samples/{sample_id}/download"),
    ("POST", "/api/v1/crates/download"),  # published samples only; rate-limited
    ("GET", "/api/v1/tags/popular"),
    ("GET", "/api/v1/creators/{username}"),
    ("GET", "/media/{key:path}"),
    # The web page's HTML shell and its assets.
    ("GET", "/"),
    ("GET", "/samples/{sample_id}"),
    ("GET", "/submit"),
    ("GET", "/operations"),
    ("GET", "/assets/{file_name}"),
}
# The admin routes that exist today: the route table must contain at least these.
KNOWN_ADMIN_ROUTES = {
    ("POST", "/api/v1/samples/reprocess"),
    ("POST", "/api/v1/admin/backfill-hls"),
    ("POST", "/api/v1/admin/migrate-media"),
    ("POST", "/api/v1/admin/check-links"),
    ("POST", "/api/v1/admin/reanalyze"),
    ("POST", "/api/v1/samples/{sample_id}/retry"),
    ("DELETE", "/api/v1/samples/{sample_id}"),
    ("PATCH", "/api/v1/samples/{sample_id}"),
    ("GET", "/api/v1/pipeline"),
    ("GET", "/api/v1/operations"),
    ("GET", "/api/v1/operations/{operation_id}"),
}
ADMIN_LISTINGS = ["pending", "processing", "failed", "completed", "all"]


def route_table(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """(method, path) for every route, descending into included routers."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI keeps included routers as one entry each
            extra = getattr(getattr(route, "include_context", None), "prefix", "")
            found |= route_table(list(included.routes), prefix + extra)
            continue
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, prefix + route.path))
    return found


def concrete(path: str) -> str:
    """The path with every parameter filled in (ids as fresh UUIDs)."""
    return re.sub(r"\{[^}]+\}", lambda _m: str(uuid.uuid4()), path)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """A started app on SQLite."""
    tmp = tmp_path_factory.mktemp("routes")
    application = create_app(api_settings(tmp, f"sqlite:///{tmp / 'app.db'}"))
    with TestClient(application, client=LOOPBACK):
        yield application


@pytest.fixture
def token(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> str:
    """Configure an admin token for the test."""
    monkeypatch.setattr(app.state.settings, "admin_token", TOKEN)
    return TOKEN


def admin_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every route that is not on the public list."""
    return sorted(route_table(list(app.routes)) - PUBLIC_ROUTES)


def call(client: TestClient, method: str, path: str, **kw: Any) -> Any:
    """Call a route with a JSON body where one is allowed."""
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.request(method, concrete(path), **body, **kw)


def test_the_route_table_is_what_this_test_knows(app: FastAPI) -> None:
    table = route_table(list(app.routes))
    assert table >= KNOWN_ADMIN_ROUTES
    assert set(admin_routes(app)) >= KNOWN_ADMIN_ROUTES


def test_with_a_token_every_admin_route_is_401_without_it(app: FastAPI, token: str) -> None:
    client = TestClient(app, client=LOOPBACK)  # the app is started: no second lifespan
    for method, path in admin_routes(app):
        response = call(client, method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["code"] == "unauthorized"
        wrong = call(client, method, path, headers={"Authorization": "Bearer x" + token})
        assert wrong.status_code == 403, (method, path)
    for status in ADMIN_LISTINGS:
        listing = client.get("/api/v1/samples", params={"status": status})
        assert listing.status_code == 401, status


def test_with_the_token_every_admin_route_gets_past_auth(app: FastAPI, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    client = TestClient(app, client=OUTSIDER)  # the app is started: no second lifespan
    for method, path in admin_routes(app):
        response = call(client, method, path, headers=headers)
        assert response.status_code not in (401, 403), (method, path, response.text)
    for status in ADMIN_LISTINGS:
        assert client.get("/api/v1/samples", params={"status": status}, headers=headers).is_success


def test_without_a_token_remote_clients_are_refused_everywhere(app: FastAPI) -> None:
    assert app.state.settings.admin_token == ""
    client = TestClient(app, client=OUTSIDER)  # the app is started: no second lifespan
    for method, path in admin_routes(app):
        response = call(client, method, path)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    for status in ADMIN_LISTINGS:
        assert client.get("/api/v1/samples", params={"status": status}).status_code == 403


def test_public_routes_answer_remote_clients_without_a_token(app: FastAPI, token: str) -> None:
    client = TestClient(app, client=OUTSIDER)  # the app is started: no second lifespan
    for method, path in sorted(PUBLIC_ROUTES & route_table(list(app.routes))):
        if method == "POST":
            continue  # submission is covered by its own tests
        response = call(client, method, path)
        assert response.status_code not in (401, 403), (method, path)


def test_production_mode_refuses_weak_settings(tmp_path: Path) -> None:
    base = api_settings(tmp_path, "postgresql+psycopg://u@127.0.0.1/x", env="production")
    for token in ("", "short", " " * 30):
        settings = base.model_copy(update={"admin_token": token})
        with pytest.raises(RuntimeError, match="CRATEDIG_ADMIN_TOKEN"):
            create_app(settings)
    sqlite = base.model_copy(update={"admin_token": TOKEN, "database_url": "sqlite:///x.db"})
    with pytest.raises(RuntimeError, match="not SQLite"):
        create_app(sqlite)
    queue_on_sqlite = base.model_copy(
        update={"admin_token": TOKEN, "dbos_system_database_url": "sqlite:///dbos.db"}
    )
    with pytest.raises(RuntimeError, match="DBOS_SYSTEM_DATABASE_URL"):
        create_app(queue_on_sqlite)
    fine = base.model_copy(update={"admin_token": TOKEN, "dbos_system_database_url": ""})
    assert fine.production_problems() == []
