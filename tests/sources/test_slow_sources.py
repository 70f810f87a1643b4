"""A media download's clock on both transports, against a loopback slow-drip server: the
deadline fires whatever the chunking, a pace below the floor fails, a cancellation ends the
transfer at once; each of the first two is `too_slow`, which is not retried."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from cratedig.sources.errors import (
    DeadlineError,
    DownloadCancelled,
    SourceErrorCode,
    TooSlowError,
)
from cratedig.sources.http import Deadline, Pace, TransferLimits
from cratedig.sources.tiktok import _reasons
from cratedig.sources.tiktok_http import TikTokOptions
from cratedig.sources.tiktok_ytdlp import checked_youtube_dl
from tests.sources.test_http import Fetch, failure_of, fetch, silent_after_headers, site

__all__ = ["fetch"]  # the fixture, used by name

NO_FLOOR = 0.0


def dripping(every: float, hung_up: threading.Event) -> Callable[[BaseHTTPRequestHandler], None]:
    """No length, one byte each `every` seconds for up to a minute; `hung_up` is set when the
    client closes the connection (a write fails)."""

    def page(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "video/mp4")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        try:
            for _ in range(int(60 / every)):
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(every)
        except OSError:
            hung_up.set()

    return page


def timed_failure(fetch: Fetch, url: str, limits: TransferLimits) -> tuple[Exception, float]:
    """What fetching `url` within `limits` raised, and how long it took."""
    started = time.monotonic()
    with pytest.raises(Exception) as failure:  # noqa: PT011 (each test checks the kind)
        fetch(url, limits=limits)
    return failure.value, time.monotonic() - started


def test_the_deadline_of_a_media_download_fires_whatever_the_chunking(fetch: Fetch) -> None:
    """A byte every 50 ms keeps every read timeout happy; the 1.5 s deadline still ends it."""
    with site() as web:
        web.pages["/drip"] = dripping(0.05, threading.Event())
        limits = TransferLimits(1 << 20, 1.5, Pace(NO_FLOOR))
        error, took = timed_failure(fetch, f"{web.base}/drip", limits)
    assert isinstance(error, TooSlowError) and "took over 1.5 s" in str(error)
    assert error.code is SourceErrorCode.TOO_SLOW and not error.retryable
    assert 1.4 < took < 3.5, took


def test_a_source_below_the_minimum_pace_fails_too_slow(fetch: Fetch) -> None:
    """20 bytes/s against a floor of 1000 bytes/s over 1 s: over after about a second, long
    before the 30 s deadline."""
    with site() as web:
        web.pages["/drip"] = dripping(0.05, threading.Event())
        limits = TransferLimits(1 << 20, 30, Pace(1000, window_seconds=1.0))
        error, took = timed_failure(fetch, f"{web.base}/drip", limits)
    assert isinstance(error, TooSlowError) and "the minimum is 1000" in str(error)
    assert error.code is SourceErrorCode.TOO_SLOW and not error.retryable
    assert took < 4, took


def test_a_silent_source_is_too_slow_not_a_network_error(fetch: Fetch) -> None:
    """Ten bytes, then silence: cut by the pace (or the transport's read timeout, which with a
    pace means the same), and not retried. httpx's read is cut at once; curl, with no byte to
    refuse, ends by its own clocks (its read timeout), still named too slow."""
    with site() as web:
        web.pages["/stall"] = silent_after_headers
        limits = TransferLimits(1 << 20, 30, Pace(1000, window_seconds=1.0))
        error, took = timed_failure(fetch, f"{web.base}/stall", limits)
    assert isinstance(error, TooSlowError) and not error.retryable, error
    assert took < (3 if fetch.__name__ == "plain_fetch" else 20), took


def test_a_source_fast_enough_is_not_cut(fetch: Fetch) -> None:
    """A body that keeps the pace arrives whole, however long the window has run."""
    with site() as web:
        web.pages["/fine"] = lambda handler: handler.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 4\r\n\r\nokay"
        )
        limits = TransferLimits(1 << 20, 30, Pace(1000, window_seconds=0.1))
        assert fetch(f"{web.base}/fine", limits=limits) == b"okay"


def test_a_cancelled_download_ends_within_a_second_or_so(fetch: Fetch) -> None:
    """Cancelled half a second in: the transfer ends and the server sees the hang-up soon."""
    cancel, hung_up = threading.Event(), threading.Event()
    with site() as web:
        web.pages["/drip"] = dripping(0.05, hung_up)
        limits = TransferLimits(1 << 20, 60, Pace(NO_FLOOR, cancelled=cancel.is_set))
        threading.Timer(0.5, cancel.set).start()
        error, took = timed_failure(fetch, f"{web.base}/drip", limits)
        assert hung_up.wait(3), "the server kept sending"
    assert isinstance(error, DownloadCancelled), error
    assert took < 3, took


def test_without_a_pace_the_deadline_stays_a_retryable_timeout(fetch: Fetch) -> None:
    """Pages and images keep their own limits: their deadline is network trouble, retried."""
    with site() as web:
        web.pages["/drip"] = dripping(0.05, threading.Event())
        error = failure_of(lambda: fetch(f"{web.base}/drip", limits=TransferLimits(1 << 20, 0.5)))
    assert isinstance(error, DeadlineError) and not isinstance(error, TooSlowError)
    assert error.code is SourceErrorCode.NETWORK and error.retryable


class TestYtDlp:
    """yt-dlp's downloader, on our checked handler, keeps the same clock for a post."""

    OPTIONS = TikTokOptions(allowed_hosts=frozenset({"127.0.0.1"}), timeout_seconds=5)

    def download(self, url: str, target: Path, deadline: Deadline) -> None:
        """Download `url` the way yt-dlp downloads a post's media."""
        params = {"quiet": True, "outtmpl": str(target / "source.%(ext)s"), "retries": 0}
        limits = TransferLimits(1 << 20, deadline.seconds, deadline.pace)
        info = {"id": "x", "title": "x", "url": url, "ext": "mp4"}
        with (
            checked_youtube_dl(params, self.OPTIONS, limits, deadline) as ydl,
            _reasons(page=False),
        ):
            ydl.process_ie_result(info, download=True)

    def test_a_dripping_media_download_fails_too_slow(self, tmp_path: Path) -> None:
        with site() as web:
            web.pages["/drip.mp4"] = dripping(0.05, threading.Event())
            deadline = Deadline(30, pace=Pace(1000, window_seconds=1.0))
            started = time.monotonic()
            with pytest.raises(TooSlowError):
                self.download(f"{web.base}/drip.mp4", tmp_path, deadline)
        assert time.monotonic() - started < 5

    def test_one_deadline_covers_every_request_of_a_post(self, tmp_path: Path) -> None:
        """The page took most of the time: the media request gets only what is left."""
        with site() as web:
            web.pages["/drip.mp4"] = dripping(0.05, threading.Event())
            deadline = Deadline(1.0, pace=Pace(NO_FLOOR))
            time.sleep(0.5)  # reading the page
            started = time.monotonic()
            with pytest.raises(TooSlowError):
                self.download(f"{web.base}/drip.mp4", tmp_path, deadline)
        assert time.monotonic() - started < 2

    def test_a_cancelled_media_download_ends(self, tmp_path: Path) -> None:
        cancel, hung_up = threading.Event(), threading.Event()
        with site() as web:
            web.pages["/drip.mp4"] = dripping(0.05, hung_up)
            deadline = Deadline(60, pace=Pace(NO_FLOOR, cancelled=cancel.is_set))
            threading.Timer(0.5, cancel.set).start()
            with pytest.raises(DownloadCancelled):
                self.download(f"{web.base}/drip.mp4", tmp_path, deadline)
            assert hung_up.wait(3)
