"""The operation fixtures store what they claim."""

from __future__ import annotations

from pathlib import Path

from cratedig.runtime import Runtime
from cratedig.storage.keys import sample_prefix
from tests.operations.conftest import publish_clip


def test_publish_clip_stores_every_artifact(runtime: Runtime, processed_clip: Path) -> None:
    sample = publish_clip(runtime, processed_clip, skip=("video",))
    keys = {item.key for item in runtime.storage.list(sample_prefix(sample.id) + "/")}
    assert sample.mp3_key in keys and sample.hls_key in keys and sample.video_key is None
    assert any(key.endswith("segment_000.ts") for key in keys)
