"""A worker process: runs sample pipelines from the shared queue until told to stop."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys
import threading
from typing import NoReturn

from cratedig.config import Settings, load_settings
from cratedig.pipeline.draining import drain
from cratedig.pipeline.queue import start_dbos, stop_dbos
from cratedig.pipeline.recovery import requeue_pending
from cratedig.runtime import Runtime, start_runtime, stop_runtime
from cratedig.scratch import sweep


def start_processing(settings: Settings, *, worker: bool) -> Runtime:
    """Open the runtime, launch DBOS (dequeueing when `worker`) and requeue lost enqueues; a
    worker first removes the temp folders of processes that died (see scratch.py)."""
    runtime = start_runtime(settings)
    if worker:
        sweep()
    try:
        start_dbos(settings, worker=worker)
        requeue_pending()  # rows committed by a process that died before enqueueing
    except BaseException:
        stop_processing()
        raise
    return runtime


def embedded_worker_settings(settings: Settings) -> Settings:
    """`settings` for an API process: its embedded worker gets a stable default id (the
    host's name), so that after a crash or restart DBOS resumes the pipelines it left."""
    if settings.worker_id or not settings.embedded_worker:
        return settings
    return settings.model_copy(update={"worker_id": f"{socket.gethostname()}-serve"})


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
    # Before DBOS starts dequeueing: a SIGTERM while the worker is still starting (or one a
    # running step sends) must drain it, not kill it outright.
    with StopSignals(stop) as signals:
        start_processing(settings, worker=True)
        try:
            print(f"cratedig worker {settings.worker_id or '(unnamed)'} running", flush=True)
            signals.wait()
            grace = settings.shutdown_grace_seconds
            print(f"cratedig worker stopping: running steps have {grace:g} s to finish", flush=True)
            if drain(grace):
                print("cratedig worker stopping: running steps finished and recorded", flush=True)
            else:
                print("cratedig worker stopping: unfinished steps will run again", flush=True)
        finally:
            stop_processing(grace_seconds=0)  # what is left waits at a recorded step


class StopSignals:
    """Within the block, SIGINT and SIGTERM set `stop` and wake the main thread at once,
    whichever thread the kernel hands them to: Python runs signal handlers in the main thread
    only, so a main thread asleep in a lock would otherwise never run one that arrived
    elsewhere. Off the main thread signals are not ours: `stop` is set by the caller."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._wakeup: tuple[socket.socket, socket.socket] | None = None
        self._previous = -1

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            reader, writer = self._wakeup = socket.socketpair()
            reader.setblocking(False)
            writer.setblocking(False)
            self._previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self._stop.set())
        return self

    def wait(self) -> None:
        """Sleep until a signal (or another thread) sets `stop`."""
        if self._wakeup is None:
            self._stop.wait()
            return
        reader = self._wakeup[0]
        while not self._stop.is_set():
            # The handler's C part writes to the wakeup socket from any thread; once select
            # returns, the main thread runs the Python handler before the next check.
            if select.select([reader], [], [], 1.0)[0]:
                with contextlib.suppress(BlockingIOError):
                    reader.recv(512)

    def __exit__(self, *exc_info: object) -> None:
        if self._wakeup is not None:
            signal.set_wakeup_fd(self._previous)
            for end in self._wakeup:
                end.close()


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
