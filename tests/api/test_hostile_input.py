"""Anonymous input that once caused 500s: out-of-range cursors, unfetchable URLs, and the
unhandled-error path itself (a JSON 500, the request id logged, the connection kept)."""

from __future__ import annotations

import base64
import http.client
import io
import json
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cratedig.api import create_app
from cratedig.logging import make_handler
from cratedig.models import Operation
from tests.api.conftest import Api, api_settings
from tests.fixtures.factories import make_creator, make_sample

NUMERIC_SORTS = ("bpm_asc", "bpm_desc", "popular")
ANY_ID = "0" * 32
HUGE = 10**30
FUZZ_CREATOR = "fuzzcursor"


def cursor_of(payload: Any) -> str:
    """A cursor as the API encodes one, carrying whatever payload the test wants."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def listings(api: Api) -> list[str]:
    """Both listings that take a cursor: all samples, and one creator's."""
    creator = make_creator(username="cursorcreator")
    api.add(creator, make_sample(creator=creator, bpm=120.0, view_count=10))
    return ["/api/v1/samples", "/api/v1/creators/cursorcreator"]


@pytest.mark.parametrize("sort", NUMERIC_SORTS)
@pytest.mark.parametrize(
    "number", [str(HUGE), str(-HUGE), str(2**63), "1" * 300, "NaN", "-Infinity"]
)
def test_out_of_range_cursor_values_are_422(api: Api, sort: str, number: str) -> None:
    raw = f'["{sort}",{number},"{ANY_ID}"]'.encode()  # JSON number text, as a tamperer writes it
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    for path in listings(api):
        response = api.client.get(path, params={"sort": sort, "cursor": cursor})
        assert response.status_code == 422, (path, response.text)
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("invalid_cursor", "cursor")
        assert api.client.get(path, params={"sort": sort}).status_code == 200


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_cursor_times_past_the_calendar_in_utc_are_422(api: Api, when: str) -> None:
    for path in listings(api):
        cursor = cursor_of(["newest", when, ANY_ID])
        response = api.client.get(path, params={"sort": "newest", "cursor": cursor})
        assert response.status_code == 422 and response.json()["error"]["field"] == "cursor"


# Numbers at and past what SQLite and a PostgreSQL bigint hold, as a tamperer would try.
_EDGE = 2**63
_JSON_VALUES = (
    st.integers(min_value=_EDGE - 2, max_value=2**70)
    | st.integers(min_value=-(2**70), max_value=-_EDGE + 2)
    | st.integers()
    | st.floats()
    | st.text(max_size=40)
    | st.booleans()
    | st.none()
    | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
    | st.lists(st.integers(), max_size=3)
)
_SORTS = st.sampled_from([*NUMERIC_SORTS, "newest", "oldest"])


def cursor_fuzz(examples: int) -> settings:
    """Hypothesis settings for a cursor fuzz: bounded, the same examples every run."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


@given(sort=_SORTS, value=_JSON_VALUES, ident=st.sampled_from([ANY_ID, ANY_ID, ANY_ID, "x", 7]))
@cursor_fuzz(80)
def test_any_cursor_payload_is_a_page_or_a_422(
    api_module: Api, sort: str, value: Any, ident: Any
) -> None:
    if api_module.client.get(f"/api/v1/creators/{FUZZ_CREATOR}").status_code == 404:
        creator = make_creator(username=FUZZ_CREATOR)
        api_module.add(creator, make_sample(creator=creator, bpm=99.0, view_count=3))
    cursor = cursor_of([sort, value, ident])
    for path in ("/api/v1/samples", f"/api/v1/creators/{FUZZ_CREATOR}"):
        response = api_module.client.get(path, params={"sort": sort, "cursor": cursor})
        assert response.status_code in (200, 422), (cursor, response.text)


OPERATIONS = "/api/v1/operations"
SOME_TIME = "2026-12-01T12:00:00+00:00"


@pytest.mark.parametrize(
    "cursor",
    [
        f'[{HUGE},"{ANY_ID}"]',  # a huge integer where the time goes
        f'["{SOME_TIME}",{HUGE}]',
        f'["{SOME_TIME}",{2**63}]',
        f'[1e999,"{ANY_ID}"]',
        f'["0001-01-01T00:00:00+14:00","{ANY_ID}"]',
        f'["2026-12-01T12:00:00","{ANY_ID}"]',  # a time without its zone
        f'["{SOME_TIME}","{ANY_ID}",1]',
        "{}",
        "not json",
    ],
)
def test_malformed_operations_cursors_are_422(api: Api, cursor: str) -> None:
    api.add(Operation(kind="check_links", params={}))
    encoded = base64.urlsafe_b64encode(cursor.encode()).decode().rstrip("=")
    for sent in (encoded, cursor):  # also the raw text, which is no base64 at all
        response = api.client.get(OPERATIONS, params={"cursor": sent})
        assert response.status_code == 422, (sent, response.text)
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("invalid_cursor", "cursor")
    well_formed = cursor_of(["2999-01-01T00:00:00+00:00", ANY_ID])  # past it: every operation
    assert len(api.client.get(OPERATIONS, params={"cursor": well_formed}).json()) == 1


@given(value=_JSON_VALUES, ident=st.sampled_from([ANY_ID, ANY_ID, ANY_ID, "x", 7, HUGE]))
@cursor_fuzz(60)
def test_any_operations_cursor_payload_is_a_page_or_a_422(
    api_module: Api, value: Any, ident: Any
) -> None:
    if not api_module.client.get(OPERATIONS).json():
        api_module.add(Operation(kind="check_links", params={}))
    response = api_module.client.get(OPERATIONS, params={"cursor": cursor_of([value, ident])})
    assert response.status_code in (200, 422), (value, ident, response.text)


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/x",
        "http://127.0.0.1:abc/x",
        "http://127.0.0.1:99999/x",
        "http://127.0.0.1/a\x01b.mp4",
        "http://media.exa\tmple.com/a.mp4",
    ],
)
def test_unfetchable_urls_are_refused_at_submission(api: Api, url: str) -> None:
    response = api.client.post("/api/v1/samples", json={"url": url})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_url"
    assert response.json()["error"]["field"] == "url"


def failing_app(tmp: Any) -> FastAPI:
    """A real app with one more route that fails the way an unforeseen bug would."""
    app = create_app(api_settings(tmp, f"sqlite:///{tmp / 'app.db'}"))

    def explode() -> None:
        raise RuntimeError("a bug nobody foresaw")

    app.add_api_route("/explode", explode)
    app.add_api_route("/fine", lambda: {"ok": True})
    return app


@pytest.fixture
def captured_lines(tmp_path: Any) -> Iterator[io.StringIO]:
    """Our JSON log lines (request ids stamped as in production), written to a buffer."""
    stream = io.StringIO()
    settings = api_settings(tmp_path, "sqlite://", log_format="json")
    handler = make_handler(settings, stream)
    logger = logging.getLogger("cratedig")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_an_unhandled_error_is_a_json_500_logged_with_its_request_id(
    tmp_path: Any, captured_lines: io.StringIO
) -> None:
    client = TestClient(failing_app(tmp_path))
    response = client.get("/explode", headers={"X-Request-ID": "req-boom-1"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal", "message": "internal server error", "field": None}
    }
    assert response.headers["X-Request-ID"] == "req-boom-1"
    lines = [json.loads(line) for line in captured_lines.getvalue().splitlines()]
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert errors and all(line["request_id"] == "req-boom-1" for line in errors)
    assert "a bug nobody foresaw" in errors[0]["exception"]
    assert "a bug nobody foresaw" not in response.text


def test_an_unhandled_error_keeps_the_connection_alive(tmp_path: Any) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(failing_app(tmp_path), lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            threading.Event().wait(0.02)
        conn = http.client.HTTPConnection("127.0.0.1", sock.getsockname()[1], timeout=10)
        conn.request("GET", "/explode")
        first = conn.getresponse()
        assert first.status == 500 and json.loads(first.read())["error"]["code"] == "internal"
        same_socket = conn.sock
        conn.request("GET", "/fine")
        second = conn.getresponse()
        assert second.status == 200 and json.loads(second.read()) == {"ok": True}
        assert conn.sock is same_socket
        conn.close()
    finally:
        server.should_exit = True
        thread.join(10)
