"""A worker process: runs sample pipelines from the shared queue until told to stop."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import NoReturn

from cratedig.config import Settings, load_settings
from cratedig.pipeline.draining import drain
from cratedig.pipeline.queue import start_dbos, stop_dbos
from cratedig.pipeline.recovery import requeue_pending
from cratedig.runtime import Runtime, start_runtime, stop_runtime


def start_processing(settings: Settings, *, worker: bool) -> Runtime:
    """Open the runtime, launch DBOS (dequeueing when `worker`) and requeue lost enqueues."""
    runtime = start_runtime(settings)
    try:
        start_dbos(settings, worker=worker)
        requeue_pending()  # rows committed by a process that died before enqueueing
    except BaseException:
        stop_processing()
        raise
    return runtime


def stop_processing(grace_seconds: int = 10) -> None:
    """Stop DBOS (letting running workflows finish for up to `grace_seconds`), then the runtime."""
    try:
        stop_dbos(grace_seconds)
    finally:
        stop_runtime()


def run_worker(settings: Settings | None = None, stop: threading.Event | None = None) -> None:
    """Run pipelines until SIGINT/SIGTERM or `stop`; then let running steps finish (up to
    CRATEDIG_SHUTDOWN_GRACE_SECONDS) and begin no new one before shutting down."""
    settings = settings or load_settings()
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # Before DBOS starts dequeueing: a SIGTERM that comes while the worker is still
        # starting (or from a step already running) must drain it, not kill it outright.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    start_processing(settings, worker=True)
    try:
        print(f"cratedig worker {settings.worker_id or '(unnamed)'} running", flush=True)
        stop.wait()
        grace = settings.shutdown_grace_seconds
        print(f"cratedig worker stopping: running steps have {grace:g} s to finish", flush=True)
        if drain(grace):
            print("cratedig worker stopping: running steps finished and recorded", flush=True)
        else:
            print("cratedig worker stopping: unfinished steps will run again", flush=True)
    finally:
        stop_processing(grace_seconds=0)  # what is left waits at a recorded step


def exit_process(code: int) -> NoReturn:
    """End a stopped worker at once: pipelines the drain parked never return, and Python
    would wait for their threads at exit; what they did is recorded in the database."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    """`python -m cratedig.pipeline.worker`: run until stopped, then exit with status 0."""
    run_worker()
    exit_process(0)


if __name__ == "__main__":
    main()
