"""End to end over loopback HTTP: `submit --wait` against uvicorn with the embedded worker."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from cratedig.api import create_app
from cratedig.service_cli import listening_socket, submit
from tests.api.conftest import api_settings
from tests.fixtures.http_server import LoopbackServer, Route, loopback_server
from tests.fixtures.media import ffprobe, make_clip

VIDEO = {"Content-Type": "video/mp4"}


@pytest.fixture(scope="module")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackServer]:
    """The internet for these tests: /clip.mp4 is a 4 s video; tests may add routes."""
    clip = make_clip(tmp_path_factory.mktemp("media") / "clip.mp4", 4.0, video=True).read_bytes()
    with loopback_server({"/clip.mp4": Route(body=clip, headers=VIDEO)}) as server:
        yield server


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, media_server: LoopbackServer
) -> Iterator[tuple[str, str]]:
    """(API base URL, media server base URL): uvicorn + embedded worker on SQLite."""
    tmp = tmp_path_factory.mktemp("e2e")
    settings = api_settings(tmp, f"sqlite:///{tmp / 'app.db'}", embedded_worker=True)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", media_server.base
    finally:
        server.should_exit = True
        thread.join(30)


def test_submit_wait_follows_the_pipeline_to_completed(
    stack: tuple[str, str], tmp_path: Path
) -> None:
    api, media = stack
    lines: list[str] = []
    assert submit(f"{media}/clip.mp4", api, wait=True, timeout=120, say=lines.append) == 0
    assert lines[0].startswith("submitted: ")
    assert lines[-1] == "completed"
    assert any(line.startswith("step ") and "/" in line for line in lines)
    again: list[str] = []
    assert submit(f"{media}/clip.mp4", api, say=again.append) == 0
    assert again[0].startswith("already known: ") and again[0].endswith("(completed)")
    # The API lists and filters it, and its media play (ffprobe) from the API's own routes.
    with httpx.Client(base_url=api, timeout=30, follow_redirects=True) as client:
        found = client.get(
            "/api/v1/samples", params={"bpm_min": 115, "bpm_max": 125, "key": "A", "scale": "minor"}
        ).json()
        assert [item["title"] for item in found["items"]] == ["clip"]
        assert client.get("/api/v1/samples", params={"bpm_min": 150}).json()["items"] == []
        sample = client.get(f"/api/v1/samples/{found['items'][0]['id']}").json()
        for field in (
            "audio_url_mp3",
            "audio_url_wav",
            "audio_url_hls",
            "waveform_url",
            "waveform_data_url",
            "thumbnail_url",
            "video_url",
        ):
            assert sample[field], field
        mp3 = client.get(sample["audio_url_mp3"])
        assert mp3.status_code == 200 and mp3.headers["content-type"] == "audio/mpeg"
        download = client.get(f"/api/v1/samples/{sample['id']}/download", params={"format": "wav"})
        assert download.status_code == 200
        assert "attachment" in download.headers["content-disposition"]
    path = tmp_path / "clip.mp3"
    path.write_bytes(mp3.content)
    assert ffprobe(path)["streams"][0]["codec_name"] == "mp3"


def test_submit_wait_reports_a_failure(stack: tuple[str, str]) -> None:
    api, media = stack
    lines: list[str] = []
    assert submit(f"{media}/missing.mp4", api, wait=True, timeout=120, say=lines.append) == 1
    assert lines[-1].startswith("failed at fetch_source: ")


def test_submit_reports_api_errors(stack: tuple[str, str]) -> None:
    api, _ = stack
    lines: list[str] = []
    assert submit("ftp://nowhere/x.mp4", api, say=lines.append) == 1
    assert lines == ["error: 422 invalid_url: not an http(s) URL: ftp://nowhere/x.mp4 (url)"]
    assert submit("http://127.0.0.1/x.mp4", "http://127.0.0.1:9", say=lines.append) == 1
    assert lines[-1].startswith("error: cannot reach the API")


def test_submit_wait_shows_a_pending_retry_and_no_empty_step(
    stack: tuple[str, str], media_server: LoopbackServer
) -> None:
    api, media = stack
    clip = media_server.routes["/clip.mp4"]
    media_server.routes["/busy.mp4"] = Route(503, b"busy")
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if "retry pending" in line:  # the source recovers once the wait has shown the retry
            media_server.routes["/busy.mp4"] = clip

    code = submit(f"{media}/busy.mp4", api, wait=True, timeout=120, say=say, poll_seconds=0.1)
    assert code == 0, lines
    retry = next(line for line in lines if "retry pending" in line)
    assert retry.startswith("step 2/6 fetch_source: retry pending: network: ")
    assert "answered HTTP 503 (retry 1 of 3 in 2 s)" in retry
    assert lines[-1] == "completed"
    progress = lines[1:-1]
    assert progress and all(line.startswith("step ") for line in progress), lines
    assert not any(line.startswith("step 0") or line.endswith(" -") for line in lines)


def test_a_redirect_loop_fails_at_once_as_too_many_redirects(
    stack: tuple[str, str], media_server: LoopbackServer
) -> None:
    api, media = stack
    media_server.routes["/loop.mp4"] = Route(302, headers={"Location": "/loop.mp4"})
    lines: list[str] = []
    assert submit(f"{media}/loop.mp4", api, wait=True, timeout=120, say=lines.append) == 1
    assert lines[-1].startswith("failed at fetch_source: too_many_redirects: more than "), lines
    assert not any("retry pending" in line for line in lines), lines


def test_each_connection_to_the_serve_socket_gets_tcp_nodelay() -> None:
    """asyncio sets TCP_NODELAY only on accepted sockets whose proto says TCP; without it a
    keep-alive client waits ~40 ms (Nagle against delayed ACK) for every response that the
    server writes in two parts (head, then body)."""
    sock = listening_socket("127.0.0.1", 0)

    async def nodelay_of_a_connection() -> int:
        loop = asyncio.get_running_loop()
        seen: asyncio.Future[int] = loop.create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                raw = transport.get_extra_info("socket")
                seen.set_result(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await loop.create_server(Probe, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            try:
                return await asyncio.wait_for(seen, 10)
            finally:
                writer.close()

    assert asyncio.run(nodelay_of_a_connection()) != 0
