"""A throwaway library of published samples (SQLite, local storage) for the operations'
speed benchmarks: one clip processed once, stored again for each sample."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cratedig.config import Settings
from cratedig.media.process import process_file
from cratedig.process_options import process_options
from cratedig.runtime import Runtime, start_runtime, stop_runtime
from tests.fixtures.media import make_clip
from tests.operations.conftest import publish_clip


@contextmanager
def published_samples(count: int, clip_seconds: float) -> Iterator[tuple[Runtime, list[uuid.UUID]]]:
    """The started runtime and the ids of `count` published audio-only samples, for the block."""
    with tempfile.TemporaryDirectory(prefix="cratedig-bench-") as tmp:
        root = Path(tmp)
        clip = make_clip(root / "clip.m4a", clip_seconds)
        settings = Settings(
            data_dir=root,
            database_url=f"sqlite:///{root / 'app.db'}",
            storage_url=f"file://{root / 'media'}",
        )
        process_file(clip, root / "processed", process_options(settings.media))
        runtime = start_runtime(settings)
        try:
            ids = [
                publish_clip(
                    runtime,
                    root / "processed",
                    skip=("video", "thumbnail"),
                    duration_seconds=clip_seconds,
                ).id
                for _ in range(count)
            ]
            yield runtime, ids
        finally:
            stop_runtime()
