"""How storage trouble is classified: an unreachable or failing S3 service is an outage (the
pipeline retries it), a refusal is not, and the client's own retries stay a short burst."""

from __future__ import annotations

import pickle
import socket

import pytest

from cratedig.pipeline.stepping import is_transient
from cratedig.storage import ObjectNotFound, StorageError, StorageUnavailable, open_storage
from cratedig.storage.backends import STORAGE_RETRY
from tests.fixtures.http_server import Route, loopback_server

KEY = "samples/x/audio.mp3"


def s3_at(endpoint: str) -> StorageError | None:
    """Read one object from an S3 endpoint; the storage error it raised, if any."""
    storage = open_storage(
        "s3://bucket/prefix",
        s3_endpoint=endpoint,
        s3_region="us-east-1",
        s3_access_key_id="key-id",
        s3_secret_access_key="a-secret-that-is-long-enough",
    )
    try:
        storage.get_bytes(KEY)
    except StorageError as error:
        return error
    return None


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_is_an_outage() -> None:
    error = s3_at(f"http://127.0.0.1:{closed_port()}")
    assert isinstance(error, StorageUnavailable)
    assert str(error).startswith(f"storage unavailable: get {KEY} on s3://bucket/prefix at ")
    assert is_transient(error)
    assert str(pickle.loads(pickle.dumps(error))) == str(error)  # as DBOS records step errors


def test_a_server_error_is_an_outage_after_a_short_burst_of_client_retries() -> None:
    path = f"/bucket/prefix/{KEY}"
    with loopback_server({path: Route(status=503, body=b"slow down")}) as server:
        error = s3_at(server.base)
        assert server.hits[path] == 1 + STORAGE_RETRY["max_retries"]
    assert isinstance(error, StorageUnavailable) and is_transient(error)
    assert "503" in str(error)


@pytest.mark.parametrize("status", [403, 400])
def test_a_refusal_is_not_an_outage_and_is_not_retried(status: int) -> None:
    path = f"/bucket/prefix/{KEY}"
    with loopback_server({path: Route(status=status, body=b"<Error/>")}) as server:
        error = s3_at(server.base)
        assert server.hits[path] == 1
    assert isinstance(error, StorageError) and not isinstance(error, StorageUnavailable)
    assert "secret" not in str(error)


def test_a_missing_object_is_not_retried() -> None:
    with loopback_server({}) as server:
        error = s3_at(server.base)
    assert isinstance(error, ObjectNotFound) and not is_transient(error)
    assert pickle.loads(pickle.dumps(error)).key == KEY
