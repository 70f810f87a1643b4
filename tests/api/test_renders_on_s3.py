"""Matched and crate downloads on S3: renders stored in the bucket, redirects presigned, the
crate streamed from the bucket a chunk at a time."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from cratedig.api import create_app
from cratedig.models import Sample
from tests.api.conftest import LOOPBACK, Api, api_settings, stored_song
from tests.fixtures.s3server import S3Server


def download(client: TestClient, sample: Sample, **params: Any) -> Any:
    return client.get(
        f"/api/v1/samples/{sample.id}/download", params=params, follow_redirects=False
    )


def test_on_s3_renders_are_stored_in_the_bucket_and_presigned(
    tmp_path: Path, song_wav: Path, s3_server: S3Server, s3_prefix: str
) -> None:
    settings = api_settings(
        tmp_path, f"sqlite:///{tmp_path / 'app.db'}", **s3_server.storage_settings(s3_prefix)
    )
    app = create_app(settings)
    with TestClient(app, client=LOOPBACK) as client:
        api = Api(app, client, settings, tmp_path / "media")
        sample = stored_song(api, song_wav)
        answer = download(client, sample, bpm=120, key="C")
        assert answer.status_code == 302, answer.text
        signed = answer.headers["location"]
        assert "/renders/" in signed and "response-content-disposition" in signed
        fetched = httpx.get(signed, timeout=30)
        assert fetched.status_code == 200 and fetched.content[:4] == b"RIFF"
        assert (
            download(client, sample, bpm=120, key="C").headers["location"].split("?")[0]
            == (signed.split("?")[0])
        )
        crate = client.post(
            "/api/v1/crates/download", json={"ids": [str(sample.id)], "bpm": 120, "key": "C"}
        )
        archive = zipfile.ZipFile(io.BytesIO(crate.content))
        assert archive.read(archive.namelist()[0]) == fetched.content
        api.runtime.storage.delete_prefix("samples")
