"""A worker SIGKILLed at every point of the pipeline in turn (PostgreSQL): each restart with
the same worker id resumes the sample at the interrupted step, no finished step runs again,
storage ends with exactly the served objects, and a reprocessed sample keeps serving its
previous generation until the new one is published.

One sample goes through all the kills (a restarted worker is killed at the next point), so
the test needs one worker start per point rather than two."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from cratedig.api import create_app
from cratedig.models import SampleStatus
from cratedig.operations.texts.reprocess import reprocess_ids
from cratedig.pipeline.queue import enqueue_sample
from cratedig.pipeline.tracking import STEPS
from cratedig.storage.keys import generation_prefix, sample_prefix, staging_prefix
from tests.fixtures.http_server import LoopbackServer
from tests.pipeline.conftest import add_url_sample
from tests.pipeline.worker_processes import (
    WorkerSide,
    api_side,  # noqa: F401  (fixture)
    assert_completed_and_exact,
    assert_steps_recorded_once,
    finish_with_worker,
    load_sample,
    run_until_signalled,
    served_keys,
    step_attempts,
    worker_side,  # noqa: F401  (fixture)
)

# Each step is killed once: at its start, or for steps whose rerun must not duplicate what
# they did, at their end (work done, not yet recorded); publish also between its copies, its
# switch and its clean-up.
KILL_POINTS = (
    "mark_processing",
    "fetch_source:done",
    "store_images",
    "process_audio:done",
    "fetch_creator:done",
    "publish",
    "publish:copied",
    "publish:switched",
    "publish:done",
)
KILLED = -signal.SIGKILL


def test_a_worker_killed_at_every_point_in_turn_still_finishes_the_sample(
    worker_side: WorkerSide,  # noqa: F811
    media_server: LoopbackServer,
    tmp_path: Path,
) -> None:
    runtime, env, temp = worker_side
    log = tmp_path / "worker.log"
    sample_id = add_url_sample(runtime, f"{media_server.base}/clip.mp4")
    enqueue_sample(sample_id, 0)
    expected: dict[str, int] = {}
    interrupted: str | None = None
    for point in KILL_POINTS:
        assert run_until_signalled(env, "worker-k", log, point) == KILLED, log.read_text()
        step = point.split(":")[0]
        # The interrupted step began again, the killed one began (if it was another step);
        # no step before them ran again.
        if interrupted is not None:
            expected[interrupted] += 1
        if step != interrupted:
            expected[step] = expected.get(step, 0) + 1
        interrupted = step
        assert step_attempts(runtime, sample_id, 0) == expected, point
        down = load_sample(runtime, sample_id)
        if point.startswith(("publish:switched", "publish:done")):  # published already
            assert down.status is SampleStatus.COMPLETED
            assert served_keys(runtime, down) <= {i.key for i in runtime.storage.list()}
        else:
            assert down.status is (
                SampleStatus.PENDING if step == "mark_processing" else SampleStatus.PROCESSING
            )
            assert down.mp3_key is None, point  # nothing half-published
    finish_with_worker(env, "worker-k", log, sample_id, 0)
    assert step_attempts(runtime, sample_id, 0) == dict.fromkeys(STEPS, 2) | {"publish": 5}
    assert_steps_recorded_once(sample_id, 0)
    assert_completed_and_exact(runtime, sample_id, temp)


def _served_mp3(client: TestClient, sample_id: uuid.UUID) -> bytes:
    """The MP3 as a browser gets it: the sample's URL, then that URL through /media."""
    url = client.get(f"/api/v1/samples/{sample_id}").json()["audio_url_mp3"]
    response = client.get(url)
    assert response.status_code == 200, url
    body: bytes = response.content
    return body


def test_a_reprocessed_sample_serves_its_previous_generation_until_the_new_one_is_published(
    worker_side: WorkerSide,  # noqa: F811
    media_server: LoopbackServer,
    tmp_path: Path,
) -> None:
    runtime, env, temp = worker_side
    log = tmp_path / "worker.log"
    app = create_app(runtime.settings)
    app.state.runtime = runtime  # the API's routes on this runtime, without a second DBOS
    client = TestClient(app)
    sample_id = add_url_sample(runtime, f"{media_server.base}/clip.mp4")
    enqueue_sample(sample_id, 0)
    finish_with_worker(env, "worker-g", log, sample_id, 0)
    first = load_sample(runtime, sample_id)
    first_keys, first_mp3 = served_keys(runtime, first), _served_mp3(client, sample_id)

    assert reprocess_ids(runtime, [sample_id], out=lambda _line: None).triggered == 1
    smaller = env | {"CRATEDIG_MEDIA__MP3_BITRATE_KBPS": "128"}  # generation 1 differs
    for point in ("process_audio", "publish:copied", "publish:switched"):
        assert run_until_signalled(smaller, "worker-g", log, point) == KILLED, log.read_text()
        stored = {item.key for item in runtime.storage.list()}
        assert first_keys <= stored, point  # generation 0 is deleted only after the switch
        down = load_sample(runtime, sample_id)
        assert served_keys(runtime, down) <= stored, point
        if point == "publish:switched":
            assert _served_mp3(client, sample_id) != first_mp3
        else:
            assert (down.generation, down.mp3_key) == (1, first.mp3_key), point
            assert _served_mp3(client, sample_id) == first_mp3, point
    finish_with_worker(smaller, "worker-g", log, sample_id, 1)

    rerun = {"process_audio": 2, "publish": 3}
    assert step_attempts(runtime, sample_id, 1) == dict.fromkeys(STEPS, 1) | rerun
    assert_steps_recorded_once(sample_id, 1)
    second = assert_completed_and_exact(runtime, sample_id, temp)
    assert second.generation == 1
    assert second.mp3_key is not None
    assert second.mp3_key.startswith(generation_prefix(sample_id, 1) + "/")
    assert _served_mp3(client, sample_id) != first_mp3
    assert not first_keys & {i.key for i in runtime.storage.list(sample_prefix(sample_id))}
    assert runtime.storage.list(staging_prefix(sample_id, 1) + "/") == []
