"""Per-client submission rate limit: a token bucket per client address, in this process.

Each API process keeps its own buckets, so N processes behind a balancer allow up to N times
the rate; the queue's own limits (fetch rate, TikTok pace) still bound the real work.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from cratedig.config import Settings
from cratedig.deps import check_admin
from cratedig.errors import ApiError, error_body
from cratedig.http.clients import client_of

SUBMIT_PATH = "/api/v1/samples"
MAX_CLIENTS = 50_000  # forget idle buckets past this many, so memory stays bounded


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """`rate_per_minute` requests per client, in bursts of up to that many."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, client: str, rate_per_minute: int) -> float:
        """Spend one token: 0.0 when allowed, else the seconds until one is available."""
        capacity = float(rate_per_minute)
        refill = rate_per_minute / 60.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= MAX_CLIENTS:
                    self._forget_full(now, capacity, refill)
                bucket = self._buckets[client] = _Bucket(capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * refill)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / refill

    def _forget_full(self, now: float, capacity: float, refill: float) -> None:
        # A bucket that has refilled is the same as no bucket: drop those first, then all.
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * refill >= capacity
        ]
        for key in full or list(self._buckets):
            del self._buckets[key]


class SubmitRateLimit:
    """Answer 429 (with Retry-After) to a client submitting faster than the configured rate.

    Admins (the admin token, or a loopback client when no token is set) are not limited.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.limiter = TokenBucketLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rate = self.settings.submit_rate_per_minute
        if not (rate > 0 and _is_submit(scope)) or self._is_admin(scope):
            await self.app(scope, receive, send)
            return
        wait = self.limiter.take(client_of(scope), rate)
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        message = f"too many submissions: at most {rate} a minute; retry in {seconds} s"
        response = JSONResponse(
            error_body("rate_limited", message),
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
        await response(scope, receive, send)

    def _is_admin(self, scope: Scope) -> bool:
        try:
            check_admin(Request(scope), self.settings)
        except ApiError:
            return False
        return True


def _is_submit(scope: Scope) -> bool:
    if scope["type"] != "http" or scope.get("method") != "POST":
        return False
    path: str = scope.get("path", "")
    path = path.removeprefix(scope.get("root_path", "") or "")  # served under a prefix
    return path.rstrip("/") == SUBMIT_PATH
