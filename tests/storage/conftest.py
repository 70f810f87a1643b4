"""Storage fixtures: a local media dir and a real S3 server (Ceph radosgw) on loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from cratedig.storage import Storage, open_storage
from tests.fixtures.s3server import S3Server, running_s3_server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One throwaway Ceph cluster per test session (per xdist worker); ~1 s to start."""
    with running_s3_server() as server:
        yield server


@pytest.fixture(scope="session")
def s3_client(s3_server: S3Server) -> Any:
    """A boto3 client: an independent view of what the server really stored."""
    return boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint,
        aws_access_key_id=s3_server.access_key_id,
        aws_secret_access_key=s3_server.secret_access_key,
        region_name=s3_server.region,
    )


def _leftovers(client: Any, bucket: str, prefix: str) -> list[str]:
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    return [item["Key"] for item in listing.get("Contents", [])]


@pytest.fixture
def s3_prefix(s3_server: S3Server, s3_client: Any) -> Iterator[str]:
    """A bucket prefix private to the test, emptied (and checked empty) afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in _leftovers(s3_client, s3_server.bucket, prefix):
        s3_client.delete_object(Bucket=s3_server.bucket, Key=key)
    assert _leftovers(s3_client, s3_server.bucket, prefix) == []


@pytest.fixture
def s3_storage(s3_server: S3Server, s3_prefix: str) -> Storage:
    """Storage on the test S3 server, under the test's own prefix."""
    return open_storage(
        f"s3://{s3_server.bucket}/{s3_prefix}",
        s3_endpoint=s3_server.endpoint,
        s3_region=s3_server.region,
        s3_access_key_id=s3_server.access_key_id,
        s3_secret_access_key=s3_server.secret_access_key,
        s3_force_path_style=True,
    )


@pytest.fixture
def local_storage(tmp_path: Path) -> Storage:
    """Storage in a fresh local directory."""
    return open_storage(f"file://{tmp_path / 'media'}")


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest) -> Storage:
    """The same contract, run against local storage and the real S3 server."""
    result: Storage = request.getfixturevalue(f"{request.param}_storage")
    return result
