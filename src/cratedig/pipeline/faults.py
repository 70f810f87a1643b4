"""Fault injection for the crash tests: a worker signals itself at a named point."""

from __future__ import annotations

import os
import signal
import threading

FAULT_POINT_VARIABLE = "CRATEDIG_FAULT_KILL_AT_STEP"
FAULT_SIGNAL_VARIABLE = "CRATEDIG_FAULT_SIGNAL"
"""The worker signals itself (SIGKILL unless the second variable names another signal, e.g.
`SIGTERM`) when it reaches the point the first names."""


def kill_if_asked(point: str) -> None:
    """Signal this process at `point` when the fault-injection variable names it: a step's
    name (its start), `<step>:done` (its end), `publish:copied` or `publish:switched`."""
    if os.environ.get(FAULT_POINT_VARIABLE) == point:
        # To this step's thread: Python handles signals in the main thread only, so this is
        # the hard case for a handler (the kernel may hand any thread a process's signal).
        chosen = signal.Signals[os.environ.get(FAULT_SIGNAL_VARIABLE, "SIGKILL")]
        signal.pthread_kill(threading.get_ident(), chosen)
