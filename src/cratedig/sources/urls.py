"""Recognise and canonicalise submitted URLs: TikTok forms, or allowed direct media hosts."""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import SplitResult, urlsplit, urlunsplit

from cratedig.sources.errors import SourceError, SourceErrorCode, UnresolvedHostError

TIKTOK_HOSTS = frozenset(
    {
        "tiktok.com",
        "www.tiktok.com",
        "m.tiktok.com",
        "vm.tiktok.com",
        "vt.tiktok.com",
        "t.tiktok.com",  # TikTok Lite's share links: /i18n/share/video/ID
    }
)
_VIDEO_PATH = re.compile(r"^/@(?P<user>[\w.-]*)/(?P<kind>video|photo)/(?P<id>\d{5,25})/?$")
_MOBILE_PATH = re.compile(r"^/v/(?P<id>\d{5,25})(?:\.html)?/?$")
# A post shared without its author: www.tiktok.com/share/video/ID, t.tiktok.com/i18n/share/...
_SHARE_PATH = re.compile(r"^(?:/i18n)?/share/video/(?P<id>\d{5,25})/?$")
_SHORT_PATH = re.compile(r"^/(?:t/)?(?P<code>[\w-]{4,32})/?$")
MAX_URL_LENGTH = 2048
# Host names as a resolver takes them once IDNA-encoded: letters, digits, '-', '_' and dots.
_HOST_NAME = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$")


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
    parts = fetchable_parts(text)
    host = (parts.hostname or "").lower()
    if host in TIKTOK_HOSTS:
        return _tiktok(parts.path, host, text)
    if not host_is_allowed(host, allowed_hosts):
        raise SourceError(
            SourceErrorCode.HOST_NOT_ALLOWED,
            f"{host} is not an allowed source host (CRATEDIG_ALLOWED_SOURCE_HOSTS)",
        )
    canonical = urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))
    return SourceRef(SourceKind.URL, canonical, None)


def fetchable_parts(text: str) -> SplitResult:
    """`text` split into parts, or INVALID_URL when no client could ever fetch it.

    Refused: anything but http(s), control characters or spaces anywhere (urlsplit would
    silently drop some of them), a malformed IPv6 literal, a port that is not 1..65535, and
    a host name that cannot be resolved as written.
    """
    if any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in text):
        message = "the URL contains spaces or control characters"
        raise SourceError(SourceErrorCode.INVALID_URL, message)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:  # a bad IPv6 literal, a port that is not a number or too big
        raise SourceError(SourceErrorCode.INVALID_URL, f"malformed URL: {exc}") from exc
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise SourceError(SourceErrorCode.INVALID_URL, f"not an http(s) URL: {text[:200]}")
    if port == 0:
        raise SourceError(SourceErrorCode.INVALID_URL, "the URL's port must be 1 to 65535")
    if not _host_is_well_formed(host):
        raise SourceError(SourceErrorCode.INVALID_URL, f"malformed host in URL: {text[:200]}")
    return parts


def _host_is_well_formed(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError:  # an empty or over-long label, or characters IDNA refuses
        return False
    return len(encoded) <= 253 and _HOST_NAME.fullmatch(encoded) is not None


def canonical_tiktok_url(video_id: str, username: str = "", photo: bool = False) -> str:
    """The one URL form we store for a TikTok post, whatever form was submitted."""
    return f"https://www.tiktok.com/@{username}/{'photo' if photo else 'video'}/{video_id}"


def _tiktok(path: str, host: str, text: str) -> SourceRef:
    if match := _VIDEO_PATH.match(path):
        photo = match["kind"] == "photo"
        url = canonical_tiktok_url(match["id"], match["user"], photo)
        return SourceRef(SourceKind.TIKTOK, url, match["id"], is_photo=photo)
    if (match := _MOBILE_PATH.match(path)) or (match := _SHARE_PATH.match(path)):
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


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_ip(address: IPAddress) -> bool:
    """A globally routable address, also when an IPv6 form embeds a private IPv4 one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and any(address in net for net in _NAT64):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not embedded.is_global:
            return False
    return address.is_global


def is_listed_address(host: str, allowed_hosts: frozenset[str]) -> bool:
    """An IP address written as such in the allow-list (tests list 127.0.0.1): trusted as it is.

    A listed *name* is still resolved and checked: a name can point anywhere, at any time.
    """
    if host.lower() not in allowed_hosts:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_public_address(host: str, allowed_hosts: frozenset[str]) -> None:
    """Refuse hosts that resolve to private, loopback, link-local or reserved addresses.

    Only an IP address listed in the allow-list is trusted without the check.
    """
    if is_listed_address(host, allowed_hosts):
        return
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvedHostError(f"cannot resolve {host}") from exc
    if not infos:
        raise UnresolvedHostError(f"cannot resolve {host}")
    for info in infos:
        _refuse_private(host, str(info[4][0]))


def check_connected_address(host: str, peer: str | None, allowed_hosts: frozenset[str]) -> None:
    """After connecting, check the address really connected to: a name checked before the
    connection may resolve differently for the connection itself (DNS rebinding)."""
    if is_listed_address(host, allowed_hosts) or peer is None:
        return
    _refuse_private(host, peer)


def _refuse_private(host: str, text: str) -> None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError as exc:
        raise SourceError(SourceErrorCode.HOST_NOT_ALLOWED, f"{host}: odd address {text}") from exc
    if not is_public_ip(address):
        raise SourceError(
            SourceErrorCode.HOST_NOT_ALLOWED,
            f"{host} resolves to a non-public address ({address}); refused",
        )
