"""A batch with corrupt sources and an ffmpeg failure among good ones, on PostgreSQL: each bad
sample fails with its step and a reason a person can act on, the good ones complete, and no
temp directory or staged object is left behind."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import pytest
from dbos import DBOS, WorkflowHandle

from cratedig.models import SampleStatus
from cratedig.pipeline.queue import enqueue_sample
from cratedig.storage.keys import sample_staging_prefix
from tests.faults.conftest import load, served_keys
from tests.faults.held_source import HeldSources
from tests.fixtures.media import make_clip, make_video_only
from tests.fixtures.temp_folders import job_folders
from tests.pipeline.conftest import add_url_sample, running_pipeline

# path -> (step, error code, words the reason must contain); None: the sample completes.
EXPECTED: dict[str, tuple[str, str, str] | None] = {
    "/good.mp4": None,
    "/good.mp3": None,
    "/random-bytes.mp4": ("fetch_source", "media", "not a readable audio or video file"),
    "/truncated.mp4": ("fetch_source", "media", "not a readable audio or video file"),
    "/no-audio.mp4": ("process_audio", "media", "has no audio stream"),
    "/unknown-codec.wav": ("process_audio", "media", "ffmpeg"),
}


def unknown_codec_wav(good_wav: bytes) -> bytes:
    """A WAV whose header names a codec no decoder knows: ffprobe reads it, ffmpeg cannot."""
    data = bytearray(good_wav)
    fmt = data.find(b"fmt ")
    data[fmt + 8 : fmt + 10] = (0x7777).to_bytes(2, "little")
    return bytes(data)


@pytest.fixture
def bad_batch(tmp_path: Path, clips: dict[str, bytes], sources: HeldSources) -> HeldSources:
    """The sources of the batch, served on loopback."""
    made = tmp_path / "made"
    made.mkdir()
    video = make_clip(made / "long.mp4", 4.0, video=True).read_bytes()
    sources.files.update(
        {
            "/good.mp4": clips["video"],
            "/good.mp3": clips["audio"],
            "/random-bytes.mp4": random.Random(7).randbytes(200_000),
            "/truncated.mp4": video[: len(video) * 2 // 3],  # the moov atom is at the end
            "/no-audio.mp4": make_video_only(made / "silent.mp4").read_bytes(),
            "/unknown-codec.wav": unknown_codec_wav(make_clip(made / "tone.wav", 2.0).read_bytes()),
        }
    )
    return sources


def test_bad_sources_fail_with_their_reason_and_the_good_ones_complete(
    tmp_path: Path, bad_batch: HeldSources, private_tmp: Path
) -> None:
    with running_pipeline("postgresql", tmp_path) as runtime:
        ids: dict[str, uuid.UUID] = {}
        handles: dict[str, WorkflowHandle[str]] = {}
        for path in EXPECTED:
            ids[path] = add_url_sample(runtime, bad_batch.url(path))
            handles[path] = DBOS.retrieve_workflow(enqueue_sample(ids[path], 0))
        results = {
            path: handle.get_result(polling_interval_sec=0.1) for path, handle in handles.items()
        }
        for path, expected in EXPECTED.items():
            sample = load(runtime, ids[path])
            if expected is None:
                assert results[path] == "completed", (path, sample.error_message)
                assert sample.status is SampleStatus.COMPLETED
                assert all(runtime.storage.exists(key) for key in served_keys(sample))
                continue
            step, code, words = expected
            assert results[path] == "failed", path
            assert (sample.status, sample.step, sample.error_code) == (
                SampleStatus.FAILED,
                step,
                code,
            ), (path, sample.error_message)
            reason = sample.error_message or ""
            assert words in reason, (path, reason)
            assert "/tmp" not in reason and "cratedig-job-" not in reason, reason
            assert served_keys(sample) == set()
        for sample_id in ids.values():
            assert runtime.storage.list(sample_staging_prefix(sample_id) + "/") == []
        assert job_folders(private_tmp) == []
