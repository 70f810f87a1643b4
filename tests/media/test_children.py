"""ffmpeg and ffprobe children: stopped at their time limit, failing cleanly under their memory
limit, killed with their parent, and reported as media errors that are not retried."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cratedig.media.children import ChildLimits
from cratedig.media.errors import ToolError, ToolLimitError
from cratedig.media.ffmpeg import probe, run_ffmpeg
from cratedig.media.thumbnail import start_thumbnail
from cratedig.pipeline.stepping import describe, is_transient
from cratedig.public_errors import public_error_message
from tests.fixtures.media import ffmpeg, make_clip

# Silence read at its own pace (-re): runs until something stops it.
ENDLESS = ["-re", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-f", "null", "-"]


def test_a_child_over_its_time_limit_is_killed_and_reported() -> None:
    started = time.monotonic()
    with pytest.raises(ToolLimitError) as failure:
        run_ffmpeg(ENDLESS, what="an endless job", limits=ChildLimits(timeout_seconds=0.5))
    assert time.monotonic() - started < 5
    message = str(failure.value)
    assert "an endless job ran longer than 0.5 s" in message
    assert "CRATEDIG_MEDIA__FFMPEG_TIMEOUT_SECONDS" in message


def test_a_child_under_a_tiny_memory_limit_fails_cleanly(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp3", 1.0)
    with pytest.raises(ToolLimitError) as failure:
        probe(clip, ChildLimits(memory_mb=64))
    message = str(failure.value)
    assert message.startswith("ffprobe: reading clip.mp3 needed more than 64 MiB of memory")
    assert "CRATEDIG_MEDIA__FFMPEG_MEMORY_MB" in message
    assert str(tmp_path) not in message


def test_a_limit_is_a_media_failure_that_is_not_retried() -> None:
    error = ToolLimitError("ffmpeg", "thumbnail ran longer than 300 s", "/tmp/x/source: killed")
    assert describe(error) == ("media", "ffmpeg: thumbnail ran longer than 300 s")
    assert not is_transient(error)
    again = pickle.loads(pickle.dumps(error))  # DBOS pickles a step's error
    assert type(again) is ToolLimitError and str(again) == str(error)
    assert public_error_message("media", str(error)) == str(error)


SPAWNER = """
import sys, time
from cratedig.media.children import ChildLimits
from cratedig.media.ffmpeg import start_ffmpeg
child = start_ffmpeg(sys.argv[1:], what="endless", limits=ChildLimits(timeout_seconds=600))
print(child.process.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has stopped: only its exit status is left


def test_a_child_dies_with_its_parent_killed_by_sigkill() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", SPAWNER, *ENDLESS], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert _alive(child_pid)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _alive(child_pid)
    if alive:
        os.kill(child_pid, signal.SIGKILL)
    assert not alive, "ffmpeg outlived the process that started it"


def test_thumbnail_frames_are_scaled_before_they_pile_up(tmp_path: Path) -> None:
    # 42 frames of 2880x2880 after the seek: the thumbnail filter keeps 30 candidates, about
    # 370 MB at full size; scaled to 720 px first they fit well within 512 MiB.
    video = tmp_path / "big.mov"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=2880x2880:rate=10:duration=6",
        "-c:v", "mjpeg", "-q:v", "8", str(video),
    )  # fmt: skip
    out = tmp_path / "thumbnail.jpg"
    start_thumbnail(video, out, 6.0, limits=ChildLimits(memory_mb=512)).check()
    assert out.stat().st_size > 0


def test_the_thumbnail_decoder_refuses_frames_over_the_pixel_limit(tmp_path: Path) -> None:
    # What a stream whose frames grow after the probed first one meets: no frame is allocated.
    video = make_clip(tmp_path / "clip.mp4", 1.0, video=True)  # 320x568
    with pytest.raises(ToolError) as failure:
        start_thumbnail(video, tmp_path / "t.jpg", 1.0, max_pixels=320 * 240).check()
    assert "exceeds specified max pixel count" in failure.value.stderr_tail
    assert not (tmp_path / "t.jpg").exists()
