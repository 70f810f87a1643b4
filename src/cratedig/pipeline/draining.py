"""A worker's graceful stop: running steps finish and are recorded, no new step begins.

Once `drain` is called, a workflow that reaches the start of a step waits there for the
process to exit; DBOS has recorded every step before it, so the restarted worker (same
`CRATEDIG_WORKER_ID`) resumes the workflow at that step. A durable retry sleep is such a
safe point too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_changed = threading.Condition()
_draining = False
_running = 0  # sample workflows running in this process
_parked = 0  # of those, how many wait at a safe point (a step not begun, a durable sleep)


@contextmanager
def running_workflow() -> Iterator[None]:
    """Count a sample workflow as running in this process while the block runs."""
    global _running
    with _changed:
        _running += 1
    try:
        yield
    finally:
        with _changed:
            _running -= 1
            _changed.notify_all()


@contextmanager
def safe_point() -> Iterator[None]:
    """Mark a wait (a durable sleep) during which the process may exit without losing work."""
    global _parked
    with _changed:
        _parked += 1
        _changed.notify_all()
    try:
        yield
    finally:
        with _changed:
            _parked -= 1


def before_step() -> None:
    """Called as a step begins: while the worker drains, wait here until the process exits."""
    with _changed:
        if not _draining:
            return
    with safe_point():
        threading.Event().wait()  # never set: the draining worker exits under this thread


def drain(timeout: float) -> bool:
    """Let no new step begin; wait up to `timeout` seconds for the running ones to finish
    and be recorded. True when every sample workflow here is at a safe point or done."""
    global _draining
    with _changed:
        _draining = True
        return _changed.wait_for(lambda: _parked >= _running, timeout)
