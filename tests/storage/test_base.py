"""The Storage contract, run against local storage and the real S3 server alike."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cratedig.storage import InvalidKey, ObjectNotFound, Storage, StorageError, keys

BIG = 12 * 1024 * 1024 + 12345  # > 8 MiB chunk size: a multipart upload on S3


class TestWriteAndRead:
    def test_put_bytes_then_get_and_head(self, storage: Storage) -> None:
        storage.put_bytes("samples/1/waveform.json", b'{"peaks": [1, 2]}')
        assert storage.get_bytes("samples/1/waveform.json") == b'{"peaks": [1, 2]}'
        info = storage.head("samples/1/waveform.json")
        assert info is not None
        assert info.key == "samples/1/waveform.json"
        assert info.size == 17
        assert info.content_type == "application/json"

    def test_put_overwrites(self, storage: Storage) -> None:
        storage.put_bytes("a/b.json", b"1")
        storage.put_bytes("a/b.json", b"22")
        assert storage.get_bytes("a/b.json") == b"22"

    def test_put_file_and_download_round_trip_a_big_file(
        self, storage: Storage, tmp_path: Path
    ) -> None:
        payload = os.urandom(BIG)
        source = tmp_path / "big.wav"
        source.write_bytes(payload)
        storage.put_file("samples/9/audio.wav", source)
        info = storage.head("samples/9/audio.wav")
        assert info is not None
        assert info.size == BIG
        assert info.content_type == "audio/wav"
        target = storage.download("samples/9/audio.wav", tmp_path / "out" / "copy.wav")
        assert target.read_bytes() == payload
        assert sorted(p.name for p in target.parent.iterdir()) == ["copy.wav"]

    def test_put_file_refuses_a_missing_file(self, storage: Storage, tmp_path: Path) -> None:
        with pytest.raises(StorageError, match="not a file"):
            storage.put_file("a/x.mp4", tmp_path / "nope.mp4")

    def test_get_range(self, storage: Storage) -> None:
        storage.put_bytes("r/data.ts", bytes(range(256)))
        assert storage.get_range("r/data.ts", 10, 20) == bytes(range(10, 20))
        assert storage.get_range("r/data.ts", 250, 1000) == bytes(range(250, 256))
        with pytest.raises(StorageError):
            storage.get_range("r/data.ts", 20, 10)

    def test_exists(self, storage: Storage) -> None:
        assert not storage.exists("e/x.jpg")
        storage.put_bytes("e/x.jpg", b"jpeg")
        assert storage.exists("e/x.jpg")


class TestMissingObjects:
    def test_get_missing_raises_object_not_found(self, storage: Storage) -> None:
        with pytest.raises(ObjectNotFound) as caught:
            storage.get_bytes("samples/404/audio.mp3")
        assert caught.value.key == "samples/404/audio.mp3"

    def test_head_missing_is_none(self, storage: Storage) -> None:
        assert storage.head("samples/404/audio.mp3") is None

    def test_range_and_copy_of_missing(self, storage: Storage) -> None:
        with pytest.raises(ObjectNotFound):
            storage.get_range("m/x.ts", 0, 10)
        with pytest.raises(ObjectNotFound):
            storage.copy("m/x.ts", "m/y.ts")

    def test_download_missing_leaves_no_partial_file(
        self, storage: Storage, tmp_path: Path
    ) -> None:
        out = tmp_path / "dl"
        with pytest.raises(ObjectNotFound):
            storage.download("m/x.mp4", out / "x.mp4")
        assert list(out.iterdir()) == []

    def test_delete_missing_is_fine(self, storage: Storage) -> None:
        storage.delete("m/never.jpg")


class TestListDeleteCopy:
    def test_list_is_sorted_and_segment_scoped(self, storage: Storage) -> None:
        for key in ("samples/1/b.png", "samples/1/a.png", "samples/1/hls/s.ts", "samples/10/a.png"):
            storage.put_bytes(key, b"x")
        listed = storage.list("samples/1")
        assert [info.key for info in listed] == [
            "samples/1/a.png",
            "samples/1/b.png",
            "samples/1/hls/s.ts",
        ]
        assert all(info.size == 1 for info in listed)
        assert [info.key for info in storage.list("samples/1/")] == [i.key for i in listed]
        assert len(storage.list()) == 4
        assert storage.list("nothing/here") == []

    def test_delete(self, storage: Storage) -> None:
        storage.put_bytes("d/x.jpg", b"x")
        storage.delete("d/x.jpg")
        assert not storage.exists("d/x.jpg")

    def test_delete_prefix(self, storage: Storage) -> None:
        for index in range(5):
            storage.put_bytes(keys.sample_key(3, keys.hls_segment_name(index)), b"ts")
        storage.put_bytes(keys.sample_key(3, keys.AUDIO_MP3), b"mp3")
        storage.put_bytes(keys.sample_key(30, keys.AUDIO_MP3), b"other sample")
        assert storage.delete_prefix(keys.sample_prefix(3)) == 6
        assert storage.list(keys.sample_prefix(3)) == []
        assert storage.exists(keys.sample_key(30, keys.AUDIO_MP3))
        assert storage.delete_prefix("samples/3") == 0

    def test_delete_prefix_refuses_everything(self, storage: Storage) -> None:
        with pytest.raises(InvalidKey):
            storage.delete_prefix("")
        with pytest.raises(InvalidKey):
            storage.delete_prefix("/")

    def test_copy_keeps_content_and_type(self, storage: Storage) -> None:
        staged = keys.staging_key(5, 2, keys.AUDIO_MP3)
        storage.put_bytes(staged, b"ID3 mp3")
        storage.copy(staged, keys.published_key(staged))
        assert storage.get_bytes("samples/5/g2/audio.mp3") == b"ID3 mp3"
        info = storage.head("samples/5/g2/audio.mp3")
        assert info is not None
        assert info.content_type == "audio/mpeg"
        assert storage.exists(staged)


UNSAFE_KEYS = [
    "",
    "/etc/passwd",
    "../outside.txt",
    "samples/../../outside.txt",
    "samples/./x.jpg",
    "samples//x.jpg",
    "samples\\x.jpg",
    "samples/x\x00.jpg",
    "samples/x/",
]


class TestKeyValidation:
    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_every_operation_rejects_unsafe_keys(self, storage: Storage, key: str) -> None:
        for call in (
            lambda: storage.put_bytes(key, b"x"),
            lambda: storage.get_bytes(key),
            lambda: storage.head(key),
            lambda: storage.delete(key),
            lambda: storage.get_range(key, 0, 1),
            lambda: storage.copy("ok/key.txt", key),
            lambda: storage.public_url(key),
        ):
            with pytest.raises(InvalidKey):
                call()

    def test_prefix_traversal_rejected(self, storage: Storage) -> None:
        with pytest.raises(InvalidKey):
            storage.list("../")
        with pytest.raises(InvalidKey):
            storage.delete_prefix("samples/..")
