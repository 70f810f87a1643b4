"""A worker process: runs sample pipelines from the shared queue until told to stop."""

from __future__ import annotations

import signal
import threading

from cratedig.config import Settings, load_settings
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


def stop_processing() -> None:
    """Stop DBOS (letting running steps finish), then the runtime."""
    try:
        stop_dbos()
    finally:
        stop_runtime()


def run_worker(settings: Settings | None = None, stop: threading.Event | None = None) -> None:
    """Start the runtime and DBOS in worker mode; block until SIGINT/SIGTERM or `stop`."""
    settings = settings or load_settings()
    stop = stop or threading.Event()
    start_processing(settings, worker=True)
    try:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
        print(f"cratedig worker {settings.worker_id or '(unnamed)'} running", flush=True)
        stop.wait()
    finally:
        stop_processing()


if __name__ == "__main__":
    run_worker()
