"""Probes of the broken-link check: one object, HLS playlist or external URL at a time.

An external URL gets a HEAD (a ranged GET when HEAD is refused or dropped) through the one
checked client (`sources/http.py`): redirects followed, each hop refused when it resolves to a
private address (SSRF), and again when the address connected to is one.
"""

from __future__ import annotations

import posixpath
import uuid
from dataclasses import dataclass
from typing import Literal

from cratedig.artifacts import is_external
from cratedig.sources.errors import (
    SourceError,
    SourceErrorCode,
    TimedOutError,
    TooManyRedirectsError,
    UnreachableError,
    UnresolvedHostError,
)
from cratedig.sources.http import (
    AddressCache,
    Answer,
    Deadline,
    HopRules,
    TransferLimits,
    capped_chunks,
    follow,
)
from cratedig.sources.http_plain import PlainClient
from cratedig.storage import InvalidKey, ObjectNotFound, Storage

MIN_BYTES = 100  # smaller than any real artifact: an error page or an empty placeholder
RANGE_BYTES = 1024
HEAD_REFUSED = frozenset({403, 405, 501})  # servers that refuse HEAD but serve GET
Kind = Literal["object", "playlist", "segment", "url"]


@dataclass(frozen=True)
class Probe:
    sample_id: uuid.UUID
    artifact: str
    value: str
    kind: Kind


@dataclass(frozen=True)
class Outcome:
    probe: Probe
    reason: str | None  # None: fine
    more: list[Probe]  # further probes it needs (an HLS playlist's segments)


class Prober:
    """Looks at one object or URL at a time; shared by the pool's threads."""

    def __init__(
        self, storage: Storage, allowed_hosts: frozenset[str], concurrency: int, timeout: float
    ) -> None:
        self._storage = storage
        self._rules = HopRules(trusted=allowed_hosts, addresses=AddressCache())
        self._client = PlainClient(timeout, pool_size=concurrency)
        self._timeout = timeout

    def close(self) -> None:
        self._client.close()

    def run(self, probe: Probe) -> Outcome:
        """Why the probe's target is broken (None: fine), and any further probes it needs."""
        more: list[Probe] = []
        try:
            if probe.kind == "url":
                reason = self._url(probe.value)
            elif probe.kind == "playlist":
                reason, more = self._playlist(probe)
            else:
                reason = self._object(probe)
        except InvalidKey:
            reason = f"invalid key {probe.value!r}"
        return Outcome(probe, reason, more)

    def _object(self, probe: Probe) -> str | None:
        info = self._storage.head(probe.value)
        if info is None:
            if probe.kind == "segment":
                return f"{posixpath.basename(probe.value)} missing"
            return f"no object at {probe.value}"
        return f"empty object at {probe.value}" if info.size == 0 else None

    def _playlist(self, probe: Probe) -> tuple[str | None, list[Probe]]:
        try:
            text = self._storage.get_bytes(probe.value).decode("utf-8", errors="replace")
        except ObjectNotFound:
            return f"no object at {probe.value}", []
        base = posixpath.dirname(probe.value)
        segments = []
        for line in text.splitlines():
            uri = line.strip()
            if not uri or uri.startswith("#"):
                continue
            if is_external(uri):
                segments.append(Probe(probe.sample_id, probe.artifact, uri, "url"))
            else:
                key = posixpath.normpath(posixpath.join(base, uri.split("?", 1)[0]))
                segments.append(Probe(probe.sample_id, probe.artifact, key, "segment"))
        return (None, segments) if segments else ("playlist lists no segments", [])

    def _url(self, url: str) -> str | None:
        try:
            try:
                answer, _ = self._fetch(url, ranged=False)
                if answer.status not in HEAD_REFUSED:
                    if not 200 <= answer.status < 300:
                        return f"HTTP {answer.status}"
                    length = answer.headers.get("content-length", "")
                    if length.isdigit():
                        return _too_small(int(length))
            except UnreachableError:
                pass  # some servers drop the connection on HEAD: try a GET
            answer, received = self._fetch(url, ranged=True)
            if answer.status == 416:  # nothing at byte 0: an empty file
                return _too_small(_range_total(answer) or 0)
            if not 200 <= answer.status < 300:
                return f"HTTP {answer.status}"
            return _too_small(_body_size(answer, received))
        except SourceError as exc:
            return _verdict(exc)

    def _fetch(self, url: str, *, ranged: bool) -> tuple[Answer, int]:
        """The answer after checked redirects; for a ranged GET, also the bytes received."""
        method = "GET" if ranged else "HEAD"
        headers = {"Range": f"bytes=0-{RANGE_BYTES - 1}"} if ranged else {}
        answer = follow(self._client.send, method, url, self._rules, headers=headers)
        try:
            received = 0
            if ranged and 200 <= answer.status < 300:
                limits = TransferLimits(max_bytes=1 << 40, max_seconds=self._timeout)
                for chunk in capped_chunks(answer, limits, Deadline(self._timeout)):
                    received += len(chunk)
                    if received >= RANGE_BYTES:  # a server ignoring Range: stop here
                        break
            return answer, received
        finally:
            answer.close()


def _verdict(error: SourceError) -> str:
    """A failed check's reason, as the link check reports it."""
    if isinstance(error, TimedOutError):
        return "timed out"
    if isinstance(error, TooManyRedirectsError | UnresolvedHostError):
        return str(error).split(" from ", 1)[0]  # "more than 5 redirects", "cannot resolve …"
    if error.code is SourceErrorCode.HOST_NOT_ALLOWED:
        return "refused: private address"
    if error.code is SourceErrorCode.INVALID_URL:
        return "invalid URL"
    return f"connection failed: {error}"[:200]


def _too_small(size: int) -> str | None:
    return f"too small ({size} bytes)" if size < MIN_BYTES else None


def _range_total(answer: Answer) -> int | None:
    """The total of `Content-Range: bytes 0-1023/12345` (None when absent or `*`)."""
    total = answer.headers.get("content-range", "").rpartition("/")[2].strip()
    return int(total) if total.isdigit() else None


def _body_size(answer: Answer, received: int) -> int:
    if answer.status == 206:
        total = _range_total(answer)
        return total if total is not None else received
    length = answer.headers.get("content-length", "")
    return int(length) if length.isdigit() else received
