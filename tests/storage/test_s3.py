"""What only a real S3 server can show: stored headers, multipart, signatures, presigning."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from cratedig.storage import CACHE_CONTROL, Storage, StorageError, open_storage
from tests.fixtures.s3server import S3Server


def _raw_head(client: Any, server: S3Server, prefix: str, key: str) -> dict[str, Any]:
    head: dict[str, Any] = client.head_object(Bucket=server.bucket, Key=f"{prefix}/{key}")
    return head


class TestStoredAttributes:
    @pytest.mark.parametrize(
        ("name", "content_type"),
        [
            ("video.mp4", "video/mp4"),
            ("thumbnail.jpg", "image/jpeg"),
            ("waveform.png", "image/png"),
            ("audio.wav", "audio/wav"),
            ("audio.mp3", "audio/mpeg"),
            ("hls/playlist.m3u8", "application/vnd.apple.mpegurl"),
            ("hls/segment_000.ts", "video/mp2t"),
            ("waveform.json", "application/json"),
        ],
    )
    def test_put_file_stores_content_type_and_cache_control(
        self,
        s3_storage: Storage,
        s3_server: S3Server,
        s3_client: Any,
        s3_prefix: str,
        tmp_path: Path,
        name: str,
        content_type: str,
    ) -> None:
        source = tmp_path / Path(name).name
        source.write_bytes(b"media bytes")
        s3_storage.put_file(f"samples/1/{name}", source)
        head = _raw_head(s3_client, s3_server, s3_prefix, f"samples/1/{name}")
        assert head["ContentType"] == content_type
        assert head["CacheControl"] == CACHE_CONTROL

    def test_explicit_content_type_wins(
        self, s3_storage: Storage, s3_server: S3Server, s3_client: Any, s3_prefix: str
    ) -> None:
        s3_storage.put_bytes("x/blob.bin", b"1", content_type="application/x-test")
        head = _raw_head(s3_client, s3_server, s3_prefix, "x/blob.bin")
        assert head["ContentType"] == "application/x-test"

    def test_big_upload_is_multipart_and_keeps_headers(
        self,
        s3_storage: Storage,
        s3_server: S3Server,
        s3_client: Any,
        s3_prefix: str,
        tmp_path: Path,
    ) -> None:
        payload = os.urandom(18 * 1024 * 1024)
        source = tmp_path / "video.mp4"
        source.write_bytes(payload)
        s3_storage.put_file("samples/2/video.mp4", source)
        head = _raw_head(s3_client, s3_server, s3_prefix, "samples/2/video.mp4")
        # A multipart object's ETag ends in -<number of parts>.
        assert head["ETag"].strip('"').endswith("-3")
        assert head["ContentLength"] == len(payload)
        assert head["ContentType"] == "video/mp4"
        assert head["CacheControl"] == CACHE_CONTROL
        assert (
            s3_storage.get_range("samples/2/video.mp4", 9_000_000, 9_000_100)
            == payload[9_000_000:9_000_100]
        )

    def test_copy_is_server_side_and_keeps_headers(
        self, s3_storage: Storage, s3_server: S3Server, s3_client: Any, s3_prefix: str
    ) -> None:
        s3_storage.put_bytes("staging/4/1/audio.mp3", b"ID3")
        s3_storage.copy("staging/4/1/audio.mp3", "samples/4/audio.mp3")
        head = _raw_head(s3_client, s3_server, s3_prefix, "samples/4/audio.mp3")
        assert head["ContentType"] == "audio/mpeg"
        assert head["CacheControl"] == CACHE_CONTROL


class TestPresignedUrls:
    def test_presigned_get_works_over_plain_http(self, s3_storage: Storage) -> None:
        s3_storage.put_bytes("samples/1/audio.mp3", b"ID3 audio")
        url = s3_storage.presigned_get_url("samples/1/audio.mp3", expires_seconds=60)
        assert url is not None
        response = httpx.get(url)
        assert response.status_code == 200
        assert response.content == b"ID3 audio"
        assert response.headers["content-type"] == "audio/mpeg"
        assert "content-disposition" not in response.headers

    def test_tampered_signature_is_refused(self, s3_storage: Storage) -> None:
        s3_storage.put_bytes("samples/1/audio.mp3", b"ID3 audio")
        url = s3_storage.presigned_get_url("samples/1/audio.mp3")
        assert url is not None
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        signature = query["X-Amz-Signature"]
        query["X-Amz-Signature"] = ("0" if signature[0] != "0" else "1") + signature[1:]
        tampered = urlunsplit(parts._replace(query=urlencode(query)))
        assert httpx.get(tampered).status_code == 403
        other_key = url.replace("audio.mp3", "audio.wav")
        assert httpx.get(other_key).status_code == 403

    def test_download_name_sets_content_disposition(self, s3_storage: Storage) -> None:
        assert s3_storage.supports_download_names
        s3_storage.put_bytes("samples/1/audio.wav", b"RIFF")
        url = s3_storage.presigned_get_url(
            "samples/1/audio.wav", download_name="Drum loop 120 BPM.wav"
        )
        assert url is not None
        response = httpx.get(url)
        assert response.status_code == 200
        assert response.content == b"RIFF"
        assert response.headers["content-disposition"] == (
            'attachment; filename="Drum loop 120 BPM.wav"'
        )

    def test_download_name_with_unicode_and_quotes(self, s3_storage: Storage) -> None:
        s3_storage.put_bytes("samples/1/audio.mp3", b"ID3")
        url = s3_storage.presigned_get_url("samples/1/audio.mp3", download_name='Café "x".mp3')
        assert url is not None
        response = httpx.get(url)
        assert response.status_code == 200
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"Cafe x.mp3\"; filename*=UTF-8''Caf%C3%A9%20x.mp3"
        )

    def test_tampered_download_name_is_refused(self, s3_storage: Storage) -> None:
        s3_storage.put_bytes("samples/1/audio.wav", b"RIFF")
        url = s3_storage.presigned_get_url("samples/1/audio.wav", download_name="a.wav")
        assert url is not None
        assert httpx.get(url.replace("a.wav", "b.wav")).status_code == 403


class TestCredentials:
    def test_wrong_secret_is_a_clear_storage_error(
        self, s3_server: S3Server, s3_prefix: str
    ) -> None:
        wrong = "not-the-secret-" + "x" * 20
        storage = open_storage(
            f"s3://{s3_server.bucket}/{s3_prefix}",
            s3_endpoint=s3_server.endpoint,
            s3_region=s3_server.region,
            s3_access_key_id=s3_server.access_key_id,
            s3_secret_access_key=wrong,
        )
        with pytest.raises(StorageError) as caught:
            storage.put_bytes("samples/1/audio.mp3", b"ID3")
        message = str(caught.value)
        assert "SignatureDoesNotMatch" in message
        assert "samples/1/audio.mp3" in message
        assert wrong not in message
        assert "Debug source" not in message
        with pytest.raises(StorageError, match="SignatureDoesNotMatch"):
            storage.get_bytes("samples/1/audio.mp3")

    def test_unknown_bucket(self, s3_server: S3Server) -> None:
        storage = open_storage(
            "s3://no-such-bucket",
            s3_endpoint=s3_server.endpoint,
            s3_region=s3_server.region,
            s3_access_key_id=s3_server.access_key_id,
            s3_secret_access_key=s3_server.secret_access_key,
        )
        with pytest.raises(StorageError, match="NoSuchBucket"):
            storage.put_bytes("a/b.json", b"{}")
