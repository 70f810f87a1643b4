"""What the public sees of a failure: the reason without host paths or internal URLs.

The database keeps the full message (the admin pipeline view and the logs show it); the
public API and the web page get it through `public_error_message`. Storage, database and
unexpected errors say nothing a visitor can act on and may name the storage endpoint, a
bucket, a database host or a local folder: they are replaced by a fixed sentence. Source and
media errors keep their wording, with absolute paths cut to their last name and URLs cut to
scheme and host (no credentials, port, path or query: a signed link or an internal route).
A message of unknown origin (`code` None: a step's earlier attempt) keeps no URL at all.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_WITHHELD = {
    "storage": "a storage error; the operators have the details",
    "database": "a database error; the operators have the details",
    "internal": "an unexpected error; the operators have the details",
}
# A retry note the pipeline appends to a message, kept whatever the message becomes.
_RETRY_NOTE = re.compile(r" \(retry \d+ of \d+ in [0-9.e+-]+ s\)$")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>(){}]*")
# An absolute POSIX or Windows path: its folders go, its last name stays.
_PATH = re.compile(r"(?<![\w:/.~-])(?:/|[A-Za-z]:\\)(?:[^\s/\\:'\"]+[/\\])+(?P<name>[^\s/\\:'\"]*)")
_WEB_SCHEMES = frozenset({"http", "https"})


def public_error_message(code: str | None, message: str | None) -> str | None:
    """The failure message fit for the public API: no host paths, no internal URLs."""
    if message is None:
        return None
    note = _RETRY_NOTE.search(message)
    suffix = note.group(0) if note else ""
    body = message[: note.start()] if note else message
    if code in _WITHHELD:
        return _WITHHELD[code] + suffix
    body = _URL.sub(_url_origin if code is not None else _hidden_url, body)
    return _PATH.sub(lambda match: match.group("name"), body) + suffix


def _hidden_url(_: re.Match[str]) -> str:
    return "<url>"


def _url_origin(match: re.Match[str]) -> str:
    """`https://host` for a web URL; `<url>` for anything else or anything unparsable."""
    try:
        parts = urlsplit(match.group(0))
        host = parts.hostname
    except ValueError:
        return "<url>"
    if parts.scheme.lower() not in _WEB_SCHEMES or not host:
        return "<url>"
    return f"{parts.scheme.lower()}://{host}"
