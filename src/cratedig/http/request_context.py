"""A request id for every request (taken from X-Request-ID when safe), and an access log line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cratedig.errors import internal_error_response
from cratedig.http.clients import client_of
from cratedig.logging import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from a proxy or a client are kept only when short and made of harmless characters.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_log = logging.getLogger("cratedig.access")
log = logging.getLogger("cratedig.api")


def incoming_request_id(value: str | None) -> str:
    """The caller's request id when it is safe to echo and log, else a new one."""
    if value is not None and _SAFE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestContext:
    """Set the request id (contextvar + response header) and log one line per request.

    The line carries the method, the path (never the query string, which may hold tokens),
    the status and the time taken.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"x-request-id"),
            None,
        )
        request_id = incoming_request_id(given)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status, started_response = 500, False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Answered here, inside the request: the line carries the request id, and nothing
            # propagates to the server, which would drop the keep-alive connection.
            log.exception("unhandled error")
            if started_response:
                raise
            await internal_error_response()(scope, receive, send_with_id)
        finally:
            elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            method, path = scope.get("method", "?"), scope.get("path", "")
            fields = {"method": method, "path": path, "status": status, "ms": elapsed_ms}
            fields["client"] = client_of(scope)
            access_log.info("%s %s %s %.1f ms", method, path, status, elapsed_ms, extra=fields)
            request_id_var.reset(token)
