"""Recognise and canonicalise submitted URLs: TikTok forms, or allowed direct media hosts."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from cratedig.sources.errors import SourceError, SourceErrorCode

TIKTOK_HOSTS = frozenset(
    {"tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"}
)
_VIDEO_PATH = re.compile(r"^/@(?P<user>[\w.-]*)/(?P<kind>video|photo)/(?P<id>\d{5,25})/?$")
_MOBILE_PATH = re.compile(r"^/v/(?P<id>\d{5,25})(?:\.html)?/?$")
_SHORT_PATH = re.compile(r"^/(?:t/)?(?P<code>[\w-]{4,32})/?$")
MAX_URL_LENGTH = 2048


class SourceKind(StrEnum):
    """The source a sample is fetched from."""

    TIKTOK = "tiktok"
    URL = "url"


@dataclass(frozen=True)
class SourceRef:
    """A recognised URL: its source, canonical form and (for TikTok) the video id."""

    kind: SourceKind
    url: str
    source_id: str | None
    is_short_link: bool = False
    is_photo: bool = False


def parse_source_url(raw: str, allowed_hosts: frozenset[str]) -> SourceRef:
    """Recognise `raw` as a TikTok URL or a direct media URL on an allowed host."""
    text = raw.strip()
    if not text or len(text) > MAX_URL_LENGTH:
        raise SourceError(SourceErrorCode.INVALID_URL, "the URL is empty or too long")
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise SourceError(SourceErrorCode.INVALID_URL, f"not an http(s) URL: {text[:200]}")
    if host in TIKTOK_HOSTS:
        return _tiktok(parts.path, host, text)
    if not host_is_allowed(host, allowed_hosts):
        raise SourceError(
            SourceErrorCode.HOST_NOT_ALLOWED,
            f"{host} is not an allowed source host (CRATEDIG_ALLOWED_SOURCE_HOSTS)",
        )
    canonical = urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))
    return SourceRef(SourceKind.URL, canonical, None)


def canonical_tiktok_url(video_id: str, username: str = "", photo: bool = False) -> str:
    """The one URL form we store for a TikTok post, whatever form was submitted."""
    return f"https://www.tiktok.com/@{username}/{'photo' if photo else 'video'}/{video_id}"


def _tiktok(path: str, host: str, text: str) -> SourceRef:
    if match := _VIDEO_PATH.match(path):
        photo = match["kind"] == "photo"
        url = canonical_tiktok_url(match["id"], match["user"], photo)
        return SourceRef(SourceKind.TIKTOK, url, match["id"], is_photo=photo)
    if match := _MOBILE_PATH.match(path):
        return SourceRef(SourceKind.TIKTOK, canonical_tiktok_url(match["id"]), match["id"])
    short_host = host in ("vm.tiktok.com", "vt.tiktok.com")
    if (short_host or path.startswith("/t/")) and (match := _SHORT_PATH.match(path)):
        url = f"https://{host}/{'' if short_host else 't/'}{match['code']}"
        return SourceRef(SourceKind.TIKTOK, url, None, is_short_link=True)
    raise SourceError(SourceErrorCode.INVALID_URL, f"not a TikTok video URL: {text[:200]}")


def parse_allowed_hosts(value: str) -> frozenset[str]:
    """Split CRATEDIG_ALLOWED_SOURCE_HOSTS (comma-separated) into lower-case host names."""
    return frozenset(h.strip().lower() for h in value.split(",") if h.strip())


def host_is_allowed(host: str, allowed_hosts: frozenset[str]) -> bool:
    """True for an allowed host or a subdomain of one."""
    return any(host == allowed or host.endswith("." + allowed) for allowed in allowed_hosts)


def check_public_address(host: str, allowed_hosts: frozenset[str]) -> None:
    """Refuse hosts that resolve to private, loopback, link-local or reserved addresses.

    A host named explicitly in the allow-list (tests use 127.0.0.1) is trusted as it is.
    """
    if host.lower() in allowed_hosts:
        return
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise SourceError(SourceErrorCode.NETWORK, f"cannot resolve {host}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise SourceError(
                SourceErrorCode.HOST_NOT_ALLOWED,
                f"{host} resolves to a non-public address ({address}); refused",
            )
