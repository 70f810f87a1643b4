"""Probes of the broken-link check: one object, HLS playlist or external URL at a time.

An external URL gets a HEAD (a ranged GET when HEAD is refused or dropped), following at most
five redirects, each hop refused when it resolves to a private address (SSRF).
"""

from __future__ import annotations

import posixpath
import threading
import uuid
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

import httpx

from cratedig.operations.artifacts import is_external
from cratedig.sources.direct import check_peer
from cratedig.sources.errors import SourceError, SourceErrorCode
from cratedig.sources.urls import check_public_address
from cratedig.storage import InvalidKey, ObjectNotFound, Storage

MIN_BYTES = 100  # smaller than any real artifact: an error page or an empty placeholder
RANGE_BYTES = 1024
HEAD_REFUSED = frozenset({403, 405, 501})  # servers that refuse HEAD but serve GET
MAX_REDIRECTS = 5
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


class Broken(Exception):  # noqa: N818 (a verdict, not an error)
    """A URL check ended with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Prober:
    """Looks at one object or URL at a time; shared by the pool's threads."""

    def __init__(
        self, storage: Storage, allowed_hosts: frozenset[str], concurrency: int, timeout: float
    ) -> None:
        self._storage = storage
        self._allowed = allowed_hosts
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), limits=limits, follow_redirects=False
        )
        self._hosts: dict[str, str | None] = {}  # host → refusal reason (None: public)
        self._lock = threading.Lock()

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
                response, _ = self._fetch(url, ranged=False)
                if response.status_code not in HEAD_REFUSED:
                    if not response.is_success:
                        return f"HTTP {response.status_code}"
                    length = response.headers.get("content-length", "")
                    if length.isdigit():
                        return _too_small(int(length))
            except httpx.TimeoutException:
                return "timed out"  # a GET would wait just as long
            except httpx.TransportError:
                pass  # some servers drop the connection on HEAD: try a GET
            response, received = self._fetch(url, ranged=True)
            if response.status_code == 416:  # nothing at byte 0: an empty file
                return _too_small(_range_total(response) or 0)
            if not response.is_success:
                return f"HTTP {response.status_code}"
            return _too_small(_body_size(response, received))
        except Broken as verdict:
            return verdict.reason
        except httpx.TimeoutException:
            return "timed out"
        except httpx.TransportError as exc:
            return f"connection failed: {exc or type(exc).__name__}"[:200]
        except (httpx.InvalidURL, ValueError):
            return "invalid URL"

    def _fetch(self, url: str, *, ranged: bool) -> tuple[httpx.Response, int]:
        """The answer after safe redirects; for a ranged GET, also the bytes received."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self._refuse_private(current)
            method = "GET" if ranged else "HEAD"
            headers = {"Range": f"bytes=0-{RANGE_BYTES - 1}"} if ranged else {}
            with self._client.stream(method, current, headers=headers) as response:
                self._refuse_private_peer(current, response)
                if response.is_redirect and "location" in response.headers:
                    current = urljoin(current, response.headers["location"])
                    continue
                received = 0
                if ranged and response.is_success:
                    for chunk in response.iter_raw(RANGE_BYTES):
                        received += len(chunk)
                        if received >= RANGE_BYTES:  # a server ignoring Range: stop here
                            break
                return response, received
        raise Broken(f"more than {MAX_REDIRECTS} redirects")

    def _refuse_private_peer(self, url: str, response: httpx.Response) -> None:
        """The address really connected to must be public too (DNS rebinding)."""
        try:
            check_peer(url, response, self._allowed)
        except SourceError as exc:
            raise Broken("refused: private address") from exc

    def _refuse_private(self, url: str) -> None:
        """Every hop: refuse hosts on private addresses unless allowed (SSRF)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise Broken("invalid URL")
        with self._lock:
            known = host in self._hosts
            reason = self._hosts.get(host)
        if not known:
            try:
                check_public_address(host, self._allowed)
            except SourceError as exc:
                private = exc.code is SourceErrorCode.HOST_NOT_ALLOWED
                reason = "refused: private address" if private else f"cannot resolve {host}"
            with self._lock:
                self._hosts[host] = reason
        if reason is not None:
            raise Broken(reason)


def _too_small(size: int) -> str | None:
    return f"too small ({size} bytes)" if size < MIN_BYTES else None


def _range_total(response: httpx.Response) -> int | None:
    """The total of `Content-Range: bytes 0-1023/12345` (None when absent or `*`)."""
    total = response.headers.get("content-range", "").rpartition("/")[2].strip()
    return int(total) if total.isdigit() else None


def _body_size(response: httpx.Response, received: int) -> int:
    if response.status_code == 206:
        total = _range_total(response)
        return total if total is not None else received
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() else received
