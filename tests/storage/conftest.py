"""Storage fixtures: a local media dir and a real S3 server (Ceph radosgw) on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratedig.storage import Storage, open_storage
from tests.fixtures.s3server import S3Server


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
