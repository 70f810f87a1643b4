"""Per-client rate limit of the heavy public requests (submissions, crate downloads): a token
bucket per client address and kind of request, kept in the database.

Every API process spends from the same buckets (http/submit_buckets.py), so N processes
behind a balancer still allow the configured rate, not N times it.
"""

from __future__ import annotations

import logging
import math
import time

from anyio import to_thread
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from cratedig.config import Settings
from cratedig.db import describe_db_error, is_transient_db_error
from cratedig.deps import check_admin
from cratedig.errors import ApiError, error_body
from cratedig.http.clients import client_of
from cratedig.http.submit_buckets import forget_full_buckets, take_token, without_durable_commit

SUBMIT_PATH = "/api/v1/samples"
CRATE_PATH = "/api/v1/crates/download"
# Each limited POST path, its bucket's name prefix (submissions keep the bare address) and
# what the 429 calls it. Both spend at CRATEDIG_SUBMIT_RATE_PER_MINUTE, from separate buckets.
LIMITED = {SUBMIT_PATH: ("", "submissions"), CRATE_PATH: ("crate:", "crate downloads")}
SWEEP_EVERY_SECONDS = 60.0  # how often a process deletes refilled buckets

log = logging.getLogger("cratedig.api")


class SharedBuckets:
    """Take tokens from the database's buckets; now and then, forget the refilled ones."""

    def __init__(self) -> None:
        self._next_sweep = 0.0

    def take(self, engine: Engine, client: str, rate_per_minute: int) -> float:
        """Spend one token: 0.0 when allowed, else the seconds until one is available."""
        with engine.begin() as connection:
            without_durable_commit(connection)
            wait = take_token(connection, client, rate_per_minute)
            if time.monotonic() >= self._next_sweep:
                self._next_sweep = time.monotonic() + SWEEP_EVERY_SECONDS
                forget_full_buckets(connection)
        return wait


class SubmitRateLimit:
    """Answer 429 (with Retry-After) to a client submitting faster than the configured rate.

    Admins (the admin token, or a loopback client when no token is set) are not limited.
    When the database cannot be reached the request passes (with a warning): it fails open.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.buckets = SharedBuckets()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rate = self.settings.submit_rate_per_minute
        limited = _limited(scope) if rate > 0 else None
        if limited is None or self._is_admin(scope):
            await self.app(scope, receive, send)
            return
        prefix, what = limited
        wait = await self._wait(scope, rate, prefix)
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        message = f"too many {what}: at most {rate} a minute; retry in {seconds} s"
        response = JSONResponse(
            error_body("rate_limited", message),
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
        await response(scope, receive, send)

    async def _wait(self, scope: Scope, rate: int, prefix: str) -> float:
        """Seconds until this client may go on (0.0: now); the database call runs in a thread."""
        engine: Engine = scope["app"].state.runtime.engine
        client = prefix + client_of(scope)
        try:
            return await to_thread.run_sync(self.buckets.take, engine, client, rate)
        except Exception as error:
            if not is_transient_db_error(error):
                raise
            # Open, not closed: a submission needs the database anyway (its row, its queue),
            # so refusing with 429 would only hide the outage behind a wrong answer.
            log.warning("submission rate limit not applied: %s", describe_db_error(error))
            return 0.0

    def _is_admin(self, scope: Scope) -> bool:
        try:
            check_admin(Request(scope), self.settings)
        except ApiError:
            return False
        return True


def _limited(scope: Scope) -> tuple[str, str] | None:
    """The bucket prefix and name of a limited request, None for any other."""
    if scope["type"] != "http" or scope.get("method") != "POST":
        return None
    path: str = scope.get("path", "")
    path = path.removeprefix(scope.get("root_path", "") or "")  # served under a prefix
    return LIMITED.get(path.rstrip("/"))
