"""A loopback media server that can hold a download until the test releases it.

A held path answers only after `release()`: while it waits, the sample is known to be inside
its `fetch_source` step, which is how the tests start an outage mid-run without guessing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOLD_LIMIT_SECONDS = 120.0  # a forgotten hold must not hang the suite
TYPES = {".mp4": "video/mp4", ".mp3": "audio/mpeg", ".wav": "audio/wav"}


@dataclass
class Hold:
    """One held path: `requested` is set when a download of it begins."""

    requested: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        """Let the held download (and any later one) through."""
        self.released.set()


@dataclass
class HeldSources:
    """Serves `files` by path on 127.0.0.1; `hold(path)` holds that path's next downloads."""

    base: str
    files: dict[str, bytes]
    holds: dict[str, Hold]

    def hold(self, path: str) -> Hold:
        """Hold downloads of `path` until the returned Hold is released."""
        self.holds[path] = Hold()
        return self.holds[path]

    def url(self, path: str) -> str:
        """The URL of a served path."""
        return f"{self.base}{path}"


@contextmanager
def held_sources(files: dict[str, bytes]) -> Iterator[HeldSources]:
    """Serve `files` (path -> bytes) until the block ends; every hold is released at the end."""
    holds: dict[str, Hold] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            hold = holds.get(path)
            if hold is not None:
                hold.requested.set()
                hold.released.wait(HOLD_LIMIT_SECONDS)
            body = files.get(path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            suffix = path[path.rfind(".") :]
            self.send_header("Content-Type", TYPES.get(suffix, "application/octet-stream"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output clean."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HeldSources(f"http://127.0.0.1:{server.server_address[1]}", files, holds)
    finally:
        for hold in holds.values():
            hold.release()
        server.shutdown()
        server.server_close()
