"""PostgreSQL drops the app's connections (pg_terminate_backend, again and again) while samples
are in the pipeline: every sample still ends, completed or failed with a clear reason, never
stuck in `processing`, never half-published."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dbos import DBOS, WorkflowHandle
from sqlalchemy import create_engine, text

from cratedig.models import SampleStatus
from cratedig.pipeline.queue import enqueue_sample
from cratedig.runtime import Runtime
from cratedig.storage.keys import sample_staging_prefix
from tests.faults.conftest import load, served_keys
from tests.faults.held_source import HeldSources
from tests.fixtures.postgres import admin_url
from tests.pipeline.conftest import add_url_sample, running_pipeline

TERMINATE = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = :database AND pid <> pg_backend_pid()"
)


class Terminator:
    """Terminates every connection to one database every `every` seconds, until stopped or
    after `rounds` rounds."""

    def __init__(self, database: str, every: float, rounds: int | None = None) -> None:
        self.database, self.every, self.limit = database, every, rounds
        self.rounds = self.terminated = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        admin = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:  # to the admin database: never terminated
                while self.rounds != self.limit and not self._stop.wait(self.every):
                    found = connection.execute(TERMINATE, {"database": self.database}).scalar()
                    self.terminated += int(found or 0)
                    self.rounds += 1
        finally:
            admin.dispose()

    @contextmanager
    def running(self) -> Iterator[Terminator]:
        """Terminate connections for the duration of the block (or fewer rounds)."""
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=30)


def add_sources(sources: HeldSources, clips: dict[str, bytes], count: int) -> list[str]:
    """Serve `count` distinct source URLs (videos and MP3s in turn)."""
    paths = []
    for index in range(count):
        path = f"/drop-{index}.mp4" if index % 2 else f"/drop-{index}.mp3"
        sources.files[path] = clips["video" if index % 2 else "audio"]
        paths.append(path)
    return paths


def run_while_terminating(
    runtime: Runtime, sources: HeldSources, paths: list[str], terminator: Terminator
) -> dict[uuid.UUID, str]:
    """Enqueue a sample per path; once one is inside its pipeline, start `terminator` and
    wait for every result."""
    holds = [sources.hold(path) for path in paths]
    ids = [add_url_sample(runtime, sources.url(path)) for path in paths]
    handles: list[WorkflowHandle[str]] = [
        DBOS.retrieve_workflow(enqueue_sample(sample_id, 0)) for sample_id in ids
    ]
    assert holds[0].requested.wait(60), "no pipeline asked for its source"
    with terminator.running():
        for hold in holds:
            hold.release()
        # DBOS waits out its own dropped connections: these results come through them.
        results = [handle.get_result(polling_interval_sec=0.2) for handle in handles]
    assert terminator.terminated >= 3, "the test dropped (almost) no connections"
    return dict(zip(ids, results, strict=True))


def assert_finished_cleanly(runtime: Runtime, sample_id: uuid.UUID, result: str) -> None:
    """Completed with every served object present, or failed with a reason; never between."""
    sample = load(runtime, sample_id)
    if result == "completed":
        assert sample.status is SampleStatus.COMPLETED
        assert served_keys(sample) and all(runtime.storage.exists(k) for k in served_keys(sample))
    else:
        assert result == "failed" and sample.status is SampleStatus.FAILED
        assert served_keys(sample) == set()
    assert runtime.storage.list(sample_staging_prefix(sample_id) + "/") == []


def test_samples_complete_while_connections_are_terminated_for_a_while(
    tmp_path: Path, sources: HeldSources, clips: dict[str, bytes]
) -> None:
    paths = add_sources(sources, clips, 3)
    settings = {"fetch_attempts": 8, "fetch_retry_seconds": 0.5}
    with running_pipeline("postgresql", tmp_path, **settings) as runtime:
        database = str(runtime.engine.url.database)
        terminator = Terminator(database, every=0.5, rounds=6)
        results = run_while_terminating(runtime, sources, paths, terminator)
        for sample_id, result in results.items():
            assert result == "completed", load(runtime, sample_id).error_message
            assert_finished_cleanly(runtime, sample_id, result)


HOLD_STEP_START = [
    # A step's start is noted in a transaction held open for a second, so the next drop lands
    # inside it, as a drop would in a busy database: the test does not hang on luck.
    "CREATE FUNCTION hold_step_start() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN PERFORM pg_sleep(1); RETURN NEW; END $$",
    "CREATE TRIGGER hold_step_start BEFORE INSERT ON sample_steps FOR EACH ROW "
    "WHEN (NEW.step = 'fetch_creator') EXECUTE FUNCTION hold_step_start()",
]


def test_without_retries_a_dropped_connection_fails_the_sample_clearly(
    tmp_path: Path, sources: HeldSources, clips: dict[str, bytes]
) -> None:
    paths = add_sources(sources, clips, 3)
    with running_pipeline("postgresql", tmp_path, fetch_attempts=1) as runtime:
        with runtime.transaction() as session:
            for statement in HOLD_STEP_START:
                session.execute(text(statement))
        # Dropped every 0.1 s until every sample has ended (at most a minute).
        terminator = Terminator(str(runtime.engine.url.database), every=0.1, rounds=600)
        results = run_while_terminating(runtime, sources, paths, terminator)
        for sample_id, result in results.items():
            assert result == "failed", f"sample {sample_id} {result} through the drops"
            assert_finished_cleanly(runtime, sample_id, result)
            sample = load(runtime, sample_id)
            reason = sample.error_message or ""
            assert sample.error_code == "database", reason
            assert reason.startswith(("database connection lost: ", "database error: ")), reason
            assert "[SQL:" not in reason and "\n" not in reason
