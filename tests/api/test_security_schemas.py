"""Every request body is strict: unknown fields, wrong shapes and wrong types are 422 naming
the field, and bodies past the size limit are 413 however they arrive."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from tests.api.conftest import Api
from tests.api.test_security_routes import route_table

# The smallest valid body of each route that takes one (every other field is optional).
VALID_BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/samples": {"url": "https://www.tiktok.com/@x/video/7301234567890123456"},
    "/api/v1/samples/reprocess": {},
    "/api/v1/admin/backfill-hls": {},
    "/api/v1/admin/migrate-media": {},
    "/api/v1/admin/check-links": {},
    "/api/v1/admin/reanalyze": {},
    "/api/v1/crates/download": {"ids": ["00000000-0000-4000-8000-000000000001"]},
}


def body_routes(app: FastAPI) -> list[str]:
    """Paths of the POST routes that take a JSON body (PATCH's is checked in test_corrections)."""
    found: list[str] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if getattr(route, "original_router", None) is not None:
                walk(list(route.original_router.routes))
            elif (
                isinstance(route, APIRoute)
                and route.body_field is not None
                and "POST" in route.methods
            ):
                found.append(route.path)

    walk(list(app.routes))
    return sorted(found)


def test_every_body_route_is_known_here(api: Api) -> None:
    assert body_routes(api.app) == sorted(VALID_BODIES)
    assert {("POST", path) for path in VALID_BODIES} <= route_table(list(api.app.routes))


@pytest.mark.parametrize("path", sorted(VALID_BODIES))
def test_unknown_fields_are_422_naming_the_field(api: Api, path: str) -> None:
    for extra in ({"is_admin": True}, {"__proto__": {"x": 1}}, {"URL": "x", "Url": "y"}):
        response = api.client.post(path, json={**VALID_BODIES[path], **extra})
        assert response.status_code == 422, (path, extra, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["field"] in extra and "unknown field" in error["message"]


@pytest.mark.parametrize("path", sorted(VALID_BODIES))
def test_wrong_shapes_are_422(api: Api, path: str) -> None:
    for body in ([], "text", 42, None, [VALID_BODIES[path]]):
        response = api.client.post(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    broken = api.client.post(
        path, content=b'{"url": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    form = api.client.post(path, content=b"url=x", headers={"Content-Type": "text/plain"})
    assert form.status_code in (415, 422)
    assert "error" in form.json()


@pytest.mark.parametrize("path", sorted(VALID_BODIES))
def test_oversized_bodies_are_413_declared_or_streamed(api: Api, path: str) -> None:
    nested = ("[" * 20_000) + ("]" * 20_000)
    declared = api.client.post(path, content=nested, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"

    def chunks() -> Any:
        for _ in range(40):
            yield b" " * 1024

    streamed = api.client.post(path, content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_operations_bodies_refuse_wrong_types(api: Api) -> None:
    cases = [
        ("/api/v1/samples/reprocess", {"limit": True}, "limit"),
        ("/api/v1/samples/reprocess", {"filter_status": ["failed"]}, "filter_status"),
        ("/api/v1/admin/backfill-hls", {"batch_size": 17}, "batch_size"),
        ("/api/v1/admin/backfill-hls", {"sample_id": "../../x"}, "sample_id"),
        ("/api/v1/admin/check-links", {"repair": "yes please"}, "repair"),
        ("/api/v1/admin/migrate-media", {"limit": -1}, "limit"),
    ]
    for path, body, field in cases:
        response = api.client.post(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["error"]["field"] == field
