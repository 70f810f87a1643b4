"""Shared pytest fixtures: a private temp dir per test so leftovers can be detected."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.fixtures import postgres
from tests.fixtures.mitm_proxy import TestCA, test_ca, trusted_test_ca
from tests.fixtures.s3server import S3Server, S3ServerError, require_binaries, running_s3_server
from tests.fixtures.tiktok_site import (
    TikTokMedia,
    TikTokWorld,
    make_tiktok_media,
    running_fake_tiktok,
)

__all__ = ["test_ca", "trusted_test_ca"]  # fixtures shared by every test directory


def pytest_configure(config: pytest.Config) -> None:
    """In the run's main process (not in an xdist worker): open the PostgreSQL session."""
    if not hasattr(config, "workerinput"):
        postgres.begin_session()


def pytest_unconfigure(config: pytest.Config) -> None:
    """After every worker has finished: stop the session's PostgreSQL cluster, if one ran."""
    if not hasattr(config, "workerinput"):
        postgres.end_session()


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point TMPDIR at an empty directory for the test, so leftovers can be checked."""
    temp = tmp_path / "system-tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One throwaway Ceph cluster per test session (per xdist worker); ~1 s to start."""
    try:
        require_binaries()
    except S3ServerError as exc:
        pytest.fail(str(exc), pytrace=False)
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


@pytest.fixture(scope="session")
def tiktok_media(tmp_path_factory: pytest.TempPathFactory) -> TikTokMedia:
    """The video and sound the fake TikTok CDN serves (generated once per test process)."""
    return make_tiktok_media(tmp_path_factory.mktemp("tiktok-media"))


@pytest.fixture
def fake_tiktok(tiktok_media: TikTokMedia, trusted_test_ca: TestCA) -> Iterator[TikTokWorld]:
    """A fake TikTok behind a loopback MITM proxy whose CA this test trusts."""
    with running_fake_tiktok(tiktok_media, trusted_test_ca) as world:
        yield world
