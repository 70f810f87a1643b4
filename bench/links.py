"""Broken-link check speed: 10,000 completed samples on local storage (about 5% broken), then
1,000 samples with external URLs on a loopback HTTP server (SQLite)."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.table import print_table
from cratedig.config import Settings
from cratedig.models import Sample, SampleSource, SampleStatus
from cratedig.operations.command import resume
from cratedig.operations.framework import get_kind
from cratedig.operations.kinds.check_links import CheckLinksRequest
from cratedig.operations.link_check import iter_checks
from cratedig.operations.runner import start_operation
from cratedig.runtime import Runtime, current_runtime, start_runtime, stop_runtime
from cratedig.storage.keys import hls_segment_name, sample_key

SETS = 500  # distinct stored media sets; samples share them (a throughput test, not a library)
SEGMENTS = 15  # a 30 s clip in 2 s HLS segments
FILES = ("wav", "mp3", "waveform_png", "waveform_json", "thumbnail")
NAMES = {
    "wav": "audio.wav",
    "mp3": "audio.mp3",
    "waveform_png": "waveform.png",
    "waveform_json": "waveform.json",
    "thumbnail": "thumbnail.jpg",
}
BROKEN_EVERY = 20  # every 20th sample points at a missing key (5%)
EXTERNAL = ("video", "cover", "origin_cover")


def main(argv: list[str] | None = None) -> int:
    """Print samples/s for storage and external-URL checks."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--external", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[32])
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cratedig-bench-") as tmp, library(Path(tmp)) as rt:
        ids, expected = seed_stored(rt, args.samples)
        for concurrency in args.concurrency:
            rows.append(time_checks("storage", ids, concurrency, expected))
        rows.append(time_operation(ids, expected))
        with http_server(Path(tmp) / "www") as base:
            ext_ids, ext_expected = seed_external(rt, args.external, base)
            for concurrency in args.concurrency:
                rows.append(time_checks("external URLs", ext_ids, concurrency, ext_expected))
    print_table(
        "Broken-link check (SQLite, local storage; external URLs on a loopback HTTP server)",
        [
            "case",
            "concurrency",
            "samples",
            "artifacts",
            "probes",
            "seconds",
            "samples/s",
            "broken found",
            "expected",
        ],
        rows,
    )
    return 0


@contextmanager
def library(root: Path) -> Iterator[Runtime]:
    """A started runtime on a fresh SQLite file and media dir."""
    settings = Settings(
        data_dir=root,
        database_url=f"sqlite:///{root / 'app.db'}",
        storage_url=f"file://{root / 'media'}",
        allowed_source_hosts="127.0.0.1",
    )
    runtime = start_runtime(settings)
    try:
        yield runtime
    finally:
        stop_runtime()


@contextmanager
def http_server(root: Path) -> Iterator[str]:
    """Python's file server on loopback, in its own process (not sharing our GIL)."""
    root.mkdir()
    (root / "media.bin").write_bytes(b"m" * 4096)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--directory", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):  # until it listens
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def seed_stored(runtime: Runtime, count: int) -> tuple[list[uuid.UUID], int]:
    """`count` samples pointing at SETS stored media sets; every 20th has a missing MP3."""
    set_ids = [uuid.uuid4() for _ in range(SETS)]
    for set_id in set_ids:
        for name in NAMES.values():
            runtime.storage.put_bytes(sample_key(set_id, name), b"x" * 2048)
        segments = [hls_segment_name(i) for i in range(SEGMENTS)]
        for segment in segments:
            runtime.storage.put_bytes(sample_key(set_id, segment), b"s" * 2048)
        playlist = "#EXTM3U\n" + "".join(f"#EXTINF:2.0,\n{s[4:]}\n" for s in segments)
        runtime.storage.put_bytes(sample_key(set_id, "hls/playlist.m3u8"), playlist.encode())
    rows = []
    for n in range(count):
        sample_id, media = uuid.uuid4(), set_ids[n % SETS]
        keys = {f"{p}_key": sample_key(media, name) for p, name in NAMES.items()}
        keys["hls_key"] = sample_key(media, "hls/playlist.m3u8")
        if n % BROKEN_EVERY == 0:
            keys["mp3_key"] = sample_key(sample_id, "audio.mp3")  # never written
        rows.append(_row(sample_id, n, keys))
    _insert(runtime, rows)
    return [row["id"] for row in rows], (count + BROKEN_EVERY - 1) // BROKEN_EVERY


def seed_external(runtime: Runtime, count: int, base: str) -> tuple[list[uuid.UUID], int]:
    """`count` samples with three external URLs each; every 20th has one answering 404."""
    media = uuid.uuid4()
    for name in NAMES.values():
        runtime.storage.put_bytes(sample_key(media, name), b"x" * 2048)
    runtime.storage.put_bytes(sample_key(media, hls_segment_name(0)), b"s" * 2048)
    runtime.storage.put_bytes(
        sample_key(media, "hls/playlist.m3u8"), b"#EXTM3U\n#EXTINF:2.0,\nsegment_000.ts\n"
    )
    rows = []
    for n in range(count):
        keys = {f"{p}_key": sample_key(media, name) for p, name in NAMES.items()}
        keys["hls_key"] = sample_key(media, "hls/playlist.m3u8")
        keys |= {f"{p}_key": f"{base}/media.bin?n={n}&p={p}" for p in EXTERNAL}
        if n % BROKEN_EVERY == 0:
            keys["cover_key"] = f"{base}/gone.jpg?n={n}"
        rows.append(_row(uuid.uuid4(), 100_000_000 + n, keys))
    _insert(runtime, rows)
    return [row["id"] for row in rows], (count + BROKEN_EVERY - 1) // BROKEN_EVERY


def _row(sample_id: uuid.UUID, n: int, keys: dict[str, str]) -> dict[str, Any]:
    created = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
    return {
        "id": sample_id,
        "source": SampleSource.TIKTOK,
        "source_id": str(7_000_000_000 + n),
        "source_url": f"https://www.tiktok.com/@x/video/{7_000_000_000 + n}",
        "status": SampleStatus.COMPLETED,
        "created_at": created,
        "updated_at": created,
        **keys,
    }


def _insert(runtime: Runtime, rows: list[dict[str, Any]]) -> None:
    with runtime.transaction() as session:
        for start in range(0, len(rows), 2000):
            session.execute(insert(Sample), rows[start : start + 2000])


def time_checks(case: str, ids: list[uuid.UUID], concurrency: int, expected: int) -> list[str]:
    """Run the checker alone; one table row."""
    started = time.perf_counter()
    artifacts = probes = broken = 0
    for check in iter_checks(current_runtime(), ids, concurrency=concurrency):
        artifacts += check.artifacts
        probes += check.probes
        broken += bool(check.broken)
    seconds = time.perf_counter() - started
    return [
        case,
        str(concurrency),
        f"{len(ids):,}",
        f"{artifacts:,}",
        f"{probes:,}",
        f"{seconds:.1f}",
        f"{len(ids) / seconds:,.0f}",
        f"{broken:,}",
        f"{expected:,}",
    ]


def time_operation(ids: list[uuid.UUID], expected: int) -> list[str]:
    """The whole operation (select, record, check, record each item); one table row."""
    started = time.perf_counter()
    request = CheckLinksRequest(status=SampleStatus.COMPLETED)
    started_run = start_operation(current_runtime(), get_kind("check_links"), request, "bench")
    chosen = started_run.selection.items
    summary = resume(current_runtime(), started_run.operation_id, out=lambda _line: None).summary
    seconds = time.perf_counter() - started
    return [
        "storage, as an operation",
        "32",
        f"{len(chosen):,}",
        "",
        "",
        f"{seconds:.1f}",
        f"{len(chosen) / seconds:,.0f}",
        f"{summary.broken:,}",
        f"{expected:,}",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
