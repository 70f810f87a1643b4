"""The decoder's limits in the pipeline: an oversized video still becomes a sample (without a
thumbnail); a tool stopped at its time limit fails the sample at once as a media error."""

from __future__ import annotations

import uuid
from pathlib import Path

from cratedig.models import SampleStatus, SampleStep
from cratedig.runtime import Runtime
from cratedig.samples.repository import SampleRepository
from cratedig.storage.keys import sample_prefix
from tests.fixtures.http_server import LoopbackServer
from tests.pipeline.conftest import add_url_sample, run_pipeline, running_pipeline


def _published(runtime: Runtime, sample_id: uuid.UUID) -> set[str]:
    prefix = sample_prefix(sample_id) + "/"
    return {item.key[len(prefix) :] for item in runtime.storage.list(prefix)}


def test_a_video_over_the_pixel_limit_completes_without_a_thumbnail(
    media_server: LoopbackServer, tmp_path: Path
) -> None:
    # The served clip is 320x568: over a 320x240 limit.
    limits = {"media": {"max_video_pixels": 320 * 240}}
    with running_pipeline("sqlite", tmp_path, **limits) as runtime:
        sample_id = add_url_sample(runtime, f"{media_server.base}/clip.mp4")
        assert run_pipeline(sample_id) == "completed"
        names = _published(runtime, sample_id)
        assert {"audio.wav", "audio.mp3", "waveform.json", "hls/playlist.m3u8"} <= names
        assert "thumbnail.jpg" not in names
        with runtime.transaction() as session:
            sample = SampleRepository(session).get(sample_id)
            assert sample is not None and sample.thumbnail_key is None
            assert sample.bpm is not None


def test_a_tool_over_its_time_limit_fails_the_sample_without_retries(
    media_server: LoopbackServer, tmp_path: Path
) -> None:
    limits = {"media": {"ffmpeg_timeout_seconds": 0.01}, "fetch_retry_seconds": 0.1}
    with running_pipeline("sqlite", tmp_path, **limits) as runtime:
        sample_id = add_url_sample(runtime, f"{media_server.base}/loop.mp3")
        assert run_pipeline(sample_id) == "failed"
        with runtime.transaction() as session:
            sample = SampleRepository(session).get(sample_id)
            assert sample is not None and sample.status is SampleStatus.FAILED
            assert (sample.step, sample.error_code) == ("fetch_source", "media")
            assert sample.error_message is not None
            assert "ran longer than 0.01 s" in sample.error_message
            assert "CRATEDIG_MEDIA__FFMPEG_TIMEOUT_SECONDS" in sample.error_message
            assert str(tmp_path) not in sample.error_message
            step = session.get(SampleStep, (sample_id, 0, "fetch_source"))
            assert step is not None and step.attempts == 1
