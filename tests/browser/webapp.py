"""A real cratedig API on a loopback port (uvicorn, embedded worker), seeded through its API."""

from __future__ import annotations

import io
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from PIL import Image

from cratedig.api import create_app
from cratedig.models import Creator, Sample
from cratedig.runtime import Runtime
from cratedig.storage.keys import avatar_key
from tests.api.conftest import api_settings
from tests.fixtures.http_server import LoopbackServer, Route, loopback_server
from tests.fixtures.media import make_clip

DONE = ("completed", "failed")


@dataclass(frozen=True)
class Seed:
    """A clip the library starts with, and the facts set on it after processing."""

    file: str
    title: str
    bpm: float | None
    key: str | None
    scale: str | None
    tags: tuple[str, ...]
    sound: str = "groove"
    seconds: float = 8.0
    video: bool = False


SEEDS = (
    Seed(
        "boom-bap.mp4", "Dusty boom bap loop", 90.0, "A", "minor", ("boombap", "lofi"), video=True
    ),
    Seed("house.mp3", "Four on the floor house", 124.0, "C", "major", ("house",), sound="spiky"),
    Seed("drill.mp3", "Dark drill melody", 142.0, "E", "minor", ("drill",), sound="noise"),
    Seed("ballad.mp3", "Slow piano ballad", 88.0, "F#", "major", ("piano", "lofi")),
    Seed("soul.mp3", "Lazy soul chops", 92.0, "D", "minor", ("soul",), sound="spiky"),
)
MISSING = "/missing.mp4"  # answers 404: its sample fails with not_found


@dataclass
class WebApp:
    """The served app, the loopback media host, and the seeded samples by title."""

    base: str
    app: FastAPI
    media: LoopbackServer
    samples: dict[str, uuid.UUID] = field(default_factory=dict)
    failed: uuid.UUID | None = None

    @property
    def runtime(self) -> Runtime:
        """The runtime the app's lifespan started."""
        runtime: Runtime = self.app.state.runtime
        return runtime

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """Call the API over HTTP."""
        return httpx.request(method, self.base + path, timeout=30, **kw)

    def submit(self, url: str) -> uuid.UUID:
        """Submit a URL; the new (or existing) sample's id."""
        response = self.api("POST", "/api/v1/samples", json={"url": url})
        assert response.status_code in (200, 202), response.text
        return uuid.UUID(response.json()["id"])

    def wait_done(self, ids: list[uuid.UUID], timeout: float = 60.0) -> dict[uuid.UUID, str]:
        """Poll each sample's status until completed or failed; their final statuses."""
        deadline = time.monotonic() + timeout
        statuses: dict[uuid.UUID, str] = {}
        while time.monotonic() < deadline:
            for sample_id in ids:
                if statuses.get(sample_id) not in DONE:
                    body = self.api("GET", f"/api/v1/samples/{sample_id}/status").json()
                    statuses[sample_id] = body["status"]
            if all(statuses.get(i) in DONE for i in ids):
                return statuses
            time.sleep(0.1)
        raise AssertionError(f"samples not done in {timeout} s: {statuses}")


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run `app` (with its lifespan) under uvicorn on a free loopback port; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def media_routes(tmp: Path, seeds: tuple[Seed, ...] = SEEDS) -> dict[str, Route]:
    """The loopback media host's files: one clip per seed."""
    routes = {}
    for seed in seeds:
        clip = make_clip(tmp / seed.file, seed.seconds, sound=seed.sound, video=seed.video)
        kind = "video/mp4" if seed.file.endswith(".mp4") else "audio/mpeg"
        routes[f"/{seed.file}"] = Route(body=clip.read_bytes(), headers={"Content-Type": kind})
    return routes


@contextmanager
def running_webapp(
    tmp: Path, seeds: tuple[Seed, ...] = SEEDS, ready_timeout: float = 60.0
) -> Iterator[WebApp]:
    """A served app whose library holds `seeds` (processed for real) and one failed sample."""
    settings = api_settings(
        tmp,
        f"sqlite:///{tmp / 'app.db'}",
        embedded_worker=True,
        allowed_source_hosts="127.0.0.1",
        fetch_attempts=1,
    )
    app = create_app(settings)
    with loopback_server(media_routes(tmp, seeds)) as media, serve(app) as base:
        web = WebApp(base, app, media)
        ids = [web.submit(f"{media.base}/{seed.file}") for seed in seeds]
        web.failed = web.submit(f"{media.base}{MISSING}")
        statuses = web.wait_done([*ids, web.failed], ready_timeout)
        assert [statuses[i] for i in ids] == ["completed"] * len(ids), statuses
        assert statuses[web.failed] == "failed"
        web.samples = dict(zip((seed.title for seed in seeds), ids, strict=True))
        describe(web, seeds)
        yield web


def describe(web: WebApp, seeds: tuple[Seed, ...]) -> None:
    """Give the seeded samples distinct titles, tempos, keys, tags and one creator."""
    creator = Creator(
        username="beatsmith", nickname="Beat Smith", verified=True, follower_count=12_300
    )
    with web.runtime.transaction() as session:
        session.add(creator)
        session.flush()
        for seed in seeds:
            sample = session.get(Sample, web.samples[seed.title])
            assert sample is not None
            sample.title, sample.bpm, sample.key, sample.scale = (
                seed.title,
                seed.bpm,
                seed.key,
                seed.scale,
            )
            sample.tags = list(seed.tags)
            sample.creator_id = creator.id
        creator.avatar_thumb_key = avatar_key(creator.id, "thumb")
    web.runtime.storage.put_bytes(creator.avatar_thumb_key, avatar_jpeg())


def avatar_jpeg() -> bytes:
    """A small round-friendly avatar image."""
    image = Image.new("RGB", (96, 96), (45, 106, 79))
    for x in range(24, 72):
        for y in range(24, 72):
            image.putpixel((x, y), (255, 190, 92))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
