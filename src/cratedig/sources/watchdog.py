"""The clock of one transfer: its deadline, the pace a media download must keep, and the
watchdog thread that cuts a body still flowing (or blocked) once either is broken, or once
the download is cancelled."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from cratedig.sources.errors import (
    DeadlineError,
    DownloadCancelled,
    TimedOutError,
    TooSlowError,
)

TICK_SECONDS = 0.25  # how often the watchdog looks; a broken rule ends a read this soon
CANCEL_CHECK_SECONDS = 1.0  # `cancelled` may ask the database: not more often than this
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pace:
    """What a media download must keep up: at least `min_bytes_per_second` over any
    `window_seconds` of its body (0: no floor); `cancelled` (asked once a second) ends it."""

    min_bytes_per_second: float = 16 * 1024
    window_seconds: float = 30.0
    cancelled: Callable[[], bool] | None = field(default=None, compare=False)


class Deadline:
    """The moment a transfer must be over; with a `pace` (media downloads) passing it is
    `too_slow`, not retried, since the same source would be as slow again."""

    def __init__(self, seconds: float, *, pace: Pace | None = None) -> None:
        self.seconds = seconds
        self.pace = pace
        self._ends = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (0 when passed)."""
        return max(0.0, self._ends - time.monotonic())

    def passed(self) -> bool:
        """True once the moment has come."""
        return time.monotonic() >= self._ends

    def error(self, url: str) -> DeadlineError:
        """The failure of a transfer that passed its deadline."""
        kind = TooSlowError if self.pace is not None else DeadlineError
        return kind(f"{url[:200]} took over {self.seconds:g} s to download")


class Watchdog:
    """Watches one body from another thread: past the deadline, below the pace or cancelled,
    it records why and calls `abort` (which makes a blocked read return)."""

    def __init__(self, url: str, abort: Callable[[], None], deadline: Deadline) -> None:
        self.received = 0  # bytes of the body so far, counted by the reading thread
        self._url, self._abort, self._deadline = url, abort, deadline
        self._reason: Exception | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="transfer-watchdog", daemon=True)

    def start(self) -> None:
        """Begin watching."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (the body ended, or its reader gave up)."""
        self._done.set()

    def raise_if_stopped(self, cut: Exception | None = None) -> None:
        """Raise why the transfer must end, if it must; `cut` is the read error it caused.
        With a pace, a read that timed out is the source being too slow."""
        reason = self._reason
        if reason is None and self._deadline.passed():
            reason = self._deadline.error(self._url)
        pace = self._deadline.pace
        if reason is None and pace is not None and isinstance(cut, TimedOutError):
            reason = TooSlowError(f"{self._url[:200]} stalled: {cut}")
        if reason is not None:
            raise reason from cut

    def _watch(self) -> None:
        started = last_asked = time.monotonic()
        history: deque[tuple[float, int]] = deque([(started, 0)])
        while not self._done.wait(max(0.01, min(TICK_SECONDS, self._deadline.remaining()))):
            now = time.monotonic()
            history.append((now, self.received))
            reason: Exception | None = None
            if self._deadline.passed():
                reason = self._deadline.error(self._url)
            elif (pace := self._deadline.pace) is not None:
                reason = self._too_slow(pace, history, now - started)
                if reason is None and now - last_asked >= CANCEL_CHECK_SECONDS:
                    last_asked = now
                    reason = self._cancellation(pace)
            if reason is not None:
                self._reason = reason
                self._abort()
                return

    def _too_slow(
        self, pace: Pace, history: deque[tuple[float, int]], elapsed: float
    ) -> TooSlowError | None:
        now, total = history[-1]
        while len(history) > 2 and history[1][0] <= now - pace.window_seconds:
            history.popleft()  # keep one look at or before the window's start
        since, then = history[0]
        if pace.min_bytes_per_second <= 0 or elapsed < pace.window_seconds:
            return None
        rate = (total - then) / max(now - since, 1e-9)
        if rate >= pace.min_bytes_per_second:
            return None
        return TooSlowError(
            f"{self._url[:200]} sent {rate:.0f} bytes/s over {now - since:.0f} s; "
            f"the minimum is {pace.min_bytes_per_second:g}"
        )

    def _cancellation(self, pace: Pace) -> DownloadCancelled | None:
        if pace.cancelled is None:
            return None
        try:
            gone = pace.cancelled()
        except Exception:  # the check's own trouble (a database blip) must not end a download
            log.warning("could not check whether %s was cancelled", self._url[:200], exc_info=True)
            return None
        return DownloadCancelled(f"download of {self._url[:200]} cancelled") if gone else None
