"""Downloads (redirect, file name, count) and /media: types, Range, attachments, traversal."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn

from cratedig.models import Sample
from cratedig.samples.repository import SampleRepository
from cratedig.storage.keys import (
    AUDIO_WAV,
    HLS_PLAYLIST,
    WAVEFORM_JSON,
    avatar_key,
    generation_key,
    hls_segment_name,
    sample_key,
    staging_key,
)
from tests.api.conftest import Api
from tests.fixtures.factories import make_creator, make_sample

WAV = bytes(range(256)) * 40


def with_wav(api: Api, username: str = "djkay", **kw: object) -> Sample:
    """A committed sample whose WAV is stored."""
    creator = make_creator(username=username)
    sample = make_sample(id=uuid.uuid4(), creator=creator, bpm=119.6, **kw)
    sample.wav_key = sample_key(sample.id, AUDIO_WAV)
    api.add(creator, sample)
    api.runtime.storage.put_bytes(sample.wav_key, WAV)
    return sample


class TestDownload:
    def test_redirect_name_disposition_and_count(self, api: Api) -> None:
        sample = with_wav(api)
        response = api.client.get(
            f"/api/v1/samples/{sample.id}/download",
            params={"format": "wav"},
            follow_redirects=False,
        )
        assert response.status_code == 302
        location = urlsplit(response.headers["location"])
        assert location.path == f"/media/{sample.wav_key}"
        name = f"120bpm_Aminor_djkay_{sample.id.hex[:8]}.wav"
        assert parse_qs(location.query)["download"] == [name]
        followed = api.client.get(response.headers["location"])
        assert followed.status_code == 200
        assert followed.content == WAV
        assert followed.headers["content-disposition"] == f'attachment; filename="{name}"'
        with api.runtime.transaction() as session:
            stored = SampleRepository(session).get(sample.id)
            assert stored is not None and stored.download_count == 1

    def test_unknown_parts_are_left_out_and_non_ascii_gets_filename_star(self, api: Api) -> None:
        sample = with_wav(api, username="zoë.beats", key=None, scale=None)
        answer = api.client.get(f"/api/v1/samples/{sample.id}/download", follow_redirects=False)
        location = answer.headers["location"]
        name = parse_qs(urlsplit(location).query)["download"][0]
        assert name == f"120bpm_zoë.beats_{sample.id.hex[:8]}.wav"
        disposition = api.client.get(location).headers["content-disposition"]
        assert disposition.startswith('attachment; filename="120bpm_zoe.beats_')
        assert "filename*=UTF-8''120bpm_zo%C3%AB.beats_" in disposition

    def test_missing_artifact_or_sample_is_404(self, api: Api) -> None:
        sample = with_wav(api)
        mp3 = api.client.get(f"/api/v1/samples/{sample.id}/download?format=mp3")
        assert mp3.status_code == 404 and mp3.json()["error"]["field"] == "format"
        flac = api.client.get(f"/api/v1/samples/{sample.id}/download?format=flac")
        assert flac.status_code == 422 and flac.json()["error"]["field"] == "format"
        gone = api.client.get(f"/api/v1/samples/{uuid.uuid4()}/download")
        assert gone.status_code == 404


class TestMedia:
    def test_content_types_and_caching(self, api: Api) -> None:
        sample_id = uuid.uuid4()
        storage = api.runtime.storage
        storage.put_bytes(sample_key(sample_id, HLS_PLAYLIST), b"#EXTM3U\n")
        storage.put_bytes(sample_key(sample_id, WAVEFORM_JSON), b"{}")
        playlist = api.client.get(f"/media/{sample_key(sample_id, HLS_PLAYLIST)}?v=2")
        assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
        assert "immutable" in playlist.headers["cache-control"]
        data = api.client.get(f"/media/{sample_key(sample_id, WAVEFORM_JSON)}")
        assert data.headers["content-type"] == "application/json"
        assert "immutable" not in data.headers["cache-control"]
        assert api.client.get(f"/media/samples/{sample_id}/nothing.wav").status_code == 404

    def test_only_published_keys_are_served(self, api: Api) -> None:
        sample_id = uuid.uuid4()
        storage = api.runtime.storage
        hidden = [
            staging_key(sample_id, 0, "source/original.mp4"),  # a failed sample's raw source
            staging_key(sample_id, 1, AUDIO_WAV),  # a generation not yet published
            sample_key(sample_id, "source/original.mp4"),  # no artifact of that name
            sample_key(sample_id, "notes.txt"),
            f"samples/{sample_id}/g0/{AUDIO_WAV}",  # generation 0 lives at the top
            f"creators/{sample_id}/banner.jpg",
        ]
        for key in hidden:
            storage.put_bytes(key, WAV)
            for method in (api.client.get, api.client.head):
                response = method(f"/media/{key}")
                assert response.status_code == 404, key
                assert WAV[:16] not in response.content
            assert api.client.get(f"/media/{key}").json()["error"]["code"] == "not_found"
        shown = [
            sample_key(sample_id, AUDIO_WAV),
            generation_key(sample_id, 2, AUDIO_WAV),
            generation_key(sample_id, 2, hls_segment_name(12)),
            avatar_key(uuid.uuid4(), "thumb"),
        ]
        for key in shown:
            storage.put_bytes(key, WAV)
            assert api.client.get(f"/media/{key}").content == WAV, key

    @pytest.mark.parametrize(
        ("header", "start", "end"), [("bytes=10-19", 10, 19), ("bytes=-5", len(WAV) - 5, None)]
    )
    def test_range_requests(self, api: Api, header: str, start: int, end: int | None) -> None:
        sample = with_wav(api)
        response = api.client.get(f"/media/{sample.wav_key}", headers={"Range": header})
        last = len(WAV) - 1 if end is None else end
        assert response.status_code == 206
        assert response.headers["content-range"] == f"bytes {start}-{last}/{len(WAV)}"
        assert response.headers["content-type"] == "audio/wav"
        assert response.content == WAV[start : last + 1]
        assert api.client.head(f"/media/{sample.wav_key}").headers["accept-ranges"] == "bytes"

    @pytest.mark.parametrize(
        "path",
        [
            "/media/%2e%2e/%2e%2e/etc/passwd",
            "/media/..%2f..%2f..%2fetc%2fpasswd",
            "/media/%2fetc%2fpasswd",
            "/media/samples/..%5c..%5cetc%5cpasswd",
            "/media/%252e%252e/%252e%252e/etc/passwd",
            "/media/samples/x%00.wav",
        ],
    )
    def test_traversal_never_serves_a_file_outside(self, api: Api, path: str) -> None:
        response = api.client.get(path)
        assert response.status_code in (400, 404)
        assert "root:" not in response.text

    def test_raw_dot_segments_over_http(self, api: Api, served: int) -> None:
        for raw in ("/media/../../etc/passwd", "/media/samples/../../../../etc/passwd"):
            with socket.create_connection(("127.0.0.1", served), timeout=5) as conn:
                conn.sendall(f"GET {raw} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                answer = b""
                while chunk := conn.recv(65536):
                    answer += chunk
            status = int(answer.split(b" ", 2)[1])
            assert status in (400, 404), answer[:200]
            assert b"root:" not in answer


@pytest.fixture
def served(api: Api) -> Iterator[int]:
    """The module's app on a loopback port (lifespan already running), via uvicorn."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(api.app, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)
