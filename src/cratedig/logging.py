"""Log set-up: JSON lines (production) or text, a request id on every line, secrets redacted."""

from __future__ import annotations

import http.cookiejar
import json
import logging
import re
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:  # only the standard library at import time: see `handler_from_environment`
    from cratedig.config import Settings

# The id of the HTTP request being served (or None outside a request).
request_id_var: ContextVar[str | None] = ContextVar("cratedig_request_id", default=None)

REDACTED = "[redacted]"
OUR_HANDLER = "cratedig-log-handler"
# Loggers that keep their own handlers unless told otherwise: route them through ours.
_SELF_HANDLED = ("dbos", "uvicorn", "uvicorn.error", "uvicorn.access")
# Whatever secret values we know, these shapes are never logged as they are.
_PATTERNS = (
    (re.compile(r"(?i)(authorization\s*[:=]\s*)(bearer|basic)?\s*\S+"), r"\1\2 " + REDACTED),
    (re.compile(r"(?i)((?:set-)?cookie\s*[:=]\s*)[^\r\n]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s/@]+@"), r"\1" + REDACTED + "@"),
    (re.compile(r"(?i)(x-amz-signature=|signature=|token=)[^&\s\"']+"), r"\1" + REDACTED),
)
# Attributes every LogRecord has; anything else on a record is an `extra` worth emitting.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "rid"}
MIN_SECRET_LENGTH = 4


class Redactor:
    """Replace known secret values and secret-shaped text (tokens, cookies, URL passwords)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        unique = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        self.secrets = sorted(unique, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """`text` with every secret replaced by `[redacted]`."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


def secrets_of(settings: Settings) -> list[str]:
    """The secret values in the settings: tokens, keys, passwords in URLs, cookie values."""
    found = [settings.admin_token, settings.s3_secret_access_key or ""]
    for url in (settings.tiktok_proxy, settings.database_url, settings.dbos_system_database_url):
        password = urlsplit(url or "").password
        if password:
            found += [password, unquote(password)]
    if settings.tiktok_cookies_file is not None:
        found += _cookie_values(str(settings.tiktok_cookies_file))
    return found


def _cookie_values(path: str) -> list[str]:
    jar = http.cookiejar.MozillaCookieJar(path)
    try:
        jar.load(ignore_discard=True, ignore_expires=True)
    except (OSError, http.cookiejar.LoadError):
        return []  # an unreadable file is reported where it is used
    return [cookie.value for cookie in jar if cookie.value]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, then extras."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON, secrets redacted."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in entry:
                entry[name] = _plain(value, self.redact)
        if record.exc_info:
            entry["exception"] = self.redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self.redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _plain(value: Any, redact: Redactor) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


class TextFormatter(logging.Formatter):
    """The usual one-line text, with the request id when there is one, secrets redacted."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(rid)s: %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """The record as text, secrets redacted (traceback included)."""
        request_id = getattr(record, "request_id", None)
        record.rid = f" [{request_id}]" if request_id else ""
        return self.redact(super().format(record))


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request id (a contextvar follows the request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; add `request_id` unless the caller gave one."""
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


def make_handler(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """A stream handler with the settings' format, request ids and redaction."""
    redact = Redactor(secrets_of(settings))
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(OUR_HANDLER)
    handler.addFilter(RequestIdFilter())
    formatter = JsonFormatter(redact) if settings.json_logs else TextFormatter(redact)
    handler.setFormatter(formatter)
    return handler


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send every log record (ours, uvicorn's, DBOS's) through one redacting handler."""
    handler = make_handler(settings, stream)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == OUR_HANDLER]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in _SELF_HANDLED:
        own = logging.getLogger(name)
        for old in list(own.handlers):
            own.removeHandler(old)
        # DBOS adds its console handler only to a logger that has none: give it ours.
        if name == "dbos":
            own.addHandler(handler)
            own.propagate = False
        else:
            own.propagate = True
    return handler


class _HandlerFromEnvironment(logging.Handler):
    """`make_handler` for the environment's settings, built at the first record."""

    def __init__(self) -> None:
        super().__init__()
        self._inner: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Hand the record to the real handler (made on first use)."""
        if self._inner is None:
            from cratedig.config import load_settings

            self._inner = make_handler(load_settings())
        self._inner.handle(record)


def handler_from_environment() -> logging.Handler:
    """Our handler for uvicorn's worker processes, cheap to create.

    uvicorn sets logging up in a new worker before that worker answers its supervisor's
    health pings; importing the settings there (seconds on a busy machine) gets the worker
    killed as unresponsive. The settings are read at the first record instead.
    """
    return _HandlerFromEnvironment()


def uvicorn_log_config(settings: Settings) -> dict[str, Any]:
    """A logging dictConfig for uvicorn that routes everything through our handler.

    uvicorn applies it in every process it starts, so `--workers N` logs the same way.
    """
    ours = {"handlers": [OUR_HANDLER], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {OUR_HANDLER: {"()": f"{__name__}.handler_from_environment"}},
        "root": {"handlers": [OUR_HANDLER], "level": settings.log_level},
        "loggers": {name: dict(ours) for name in _SELF_HANDLED},
    }
