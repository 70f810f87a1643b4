"""Opening storage from URLs and from Settings; public URLs; local paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratedig.config import Settings
from cratedig.storage import InvalidKey, Storage, StorageError, open_storage, storage_from_settings
from tests.fixtures.s3server import S3Server


class TestLocal:
    def test_relative_url_creates_the_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        storage = open_storage("file://./data/media")
        assert storage.kind == "local"
        assert (tmp_path / "data" / "media").is_dir()
        storage.put_bytes("samples/1/audio.mp3", b"ID3")
        assert (tmp_path / "data" / "media" / "samples" / "1" / "audio.mp3").read_bytes() == b"ID3"

    def test_local_path(self, local_storage: Storage) -> None:
        local_storage.put_bytes("samples/1/hls/playlist.m3u8", b"#EXTM3U")
        path = local_storage.local_path("samples/1/hls/playlist.m3u8")
        assert path is not None
        assert path.read_bytes() == b"#EXTM3U"
        assert local_storage.local_path("samples/1/missing.ts") is None
        with pytest.raises(InvalidKey):
            local_storage.local_path("../../etc/passwd")

    def test_local_path_refuses_symlinks_out_of_the_root(
        self, local_storage: Storage, tmp_path: Path
    ) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text("no")
        root = Path(local_storage.description.removeprefix("file://"))
        (root / "samples").mkdir(parents=True, exist_ok=True)
        (root / "samples" / "link.txt").symlink_to(secret)
        with pytest.raises(InvalidKey):
            local_storage.local_path("samples/link.txt")

    def test_deleting_the_last_file_removes_empty_directories(self, local_storage: Storage) -> None:
        local_storage.put_bytes("samples/1/hls/segment_000.ts", b"ts")
        local_storage.delete_prefix("samples/1")
        root = Path(local_storage.description.removeprefix("file://"))
        assert list(root.iterdir()) == []

    def test_public_url_and_presigning(self, local_storage: Storage) -> None:
        assert local_storage.public_url("samples/1/audio.mp3") == "/media/samples/1/audio.mp3"
        assert local_storage.presigned_get_url("samples/1/audio.mp3") is None
        assert not local_storage.supports_download_names


class TestPublicUrl:
    def test_with_a_public_base_url(self, tmp_path: Path) -> None:
        storage = open_storage(f"file://{tmp_path}", public_base_url="https://cdn.example.com/")
        assert storage.public_url("samples/1/a b.mp3") == (
            "https://cdn.example.com/samples/1/a%20b.mp3"
        )


class TestUrls:
    @pytest.mark.parametrize("url", ["ftp://x/y", "data/media", "s3://", "file://"])
    def test_unsupported_urls(self, url: str) -> None:
        with pytest.raises(StorageError):
            open_storage(url)

    def test_half_credentials_are_refused(self) -> None:
        with pytest.raises(StorageError, match="both"):
            open_storage("s3://bucket", s3_endpoint="http://127.0.0.1:9", s3_access_key_id="AK")

    def test_gcs_service_account_must_exist(self, tmp_path: Path) -> None:
        with pytest.raises(StorageError, match="service account"):
            open_storage("gs://bucket/p", gcs_service_account_path=str(tmp_path / "none.json"))

    def test_s3_description_has_no_secret(self) -> None:
        storage = open_storage(
            "s3://bucket/some/prefix",
            s3_endpoint="http://127.0.0.1:9",
            s3_access_key_id="AK",
            s3_secret_access_key="SUPERSECRET",
        )
        assert storage.kind == "s3"
        assert "SUPERSECRET" not in repr(storage)
        assert storage.description == "s3://bucket/some/prefix at http://127.0.0.1:9"


class TestFromSettings:
    def test_local_from_env(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CRATEDIG_STORAGE_URL", f"file://{tmp_path / 'm'}")
        monkeypatch.setenv("CRATEDIG_PUBLIC_MEDIA_BASE_URL", "https://media.example.com")
        storage = storage_from_settings(Settings(_env_file=None))
        assert storage.kind == "local"
        assert storage.public_url("a/b.png") == "https://media.example.com/a/b.png"

    def test_s3_from_env(
        self, s3_server: S3Server, s3_prefix: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        env = {
            "CRATEDIG_STORAGE_URL": f"s3://{s3_server.bucket}/{s3_prefix}",
            "CRATEDIG_S3_ENDPOINT": s3_server.endpoint,
            "CRATEDIG_S3_REGION": s3_server.region,
            "CRATEDIG_S3_ACCESS_KEY_ID": s3_server.access_key_id,
            "CRATEDIG_S3_SECRET_ACCESS_KEY": s3_server.secret_access_key,
            "CRATEDIG_S3_FORCE_PATH_STYLE": "true",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        storage = storage_from_settings(Settings(_env_file=None))
        assert storage.kind == "s3"
        storage.put_bytes("samples/1/audio.mp3", b"ID3")
        assert storage.get_bytes("samples/1/audio.mp3") == b"ID3"
        assert storage.public_url("samples/1/audio.mp3") == "/media/samples/1/audio.mp3"
