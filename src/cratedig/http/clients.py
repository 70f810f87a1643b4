"""Who is calling: the peer, or X-Forwarded-For's client when the peer is a trusted proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(text: str, proxies: Sequence[Network]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in proxies)


def client_address(scope: Scope, proxies: Sequence[Network]) -> str:
    """The client's address; X-Forwarded-For is believed only from a listed proxy.

    Walking X-Forwarded-For from the right, the first address that is not a trusted proxy
    is the client: entries further left were written by the client itself and may be lies.
    """
    client = scope.get("client")
    peer = str(client[0]) if client else UNKNOWN
    if not proxies or not _trusted(peer, proxies):
        return peer
    forwarded = [
        value.decode("latin-1")
        for name, value in scope.get("headers", [])
        if name.lower() == b"x-forwarded-for"
    ]
    hops = [hop.strip() for value in forwarded for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if _address(hop) is None:
            return peer  # a malformed chain: fall back to the proxy itself
        if not _trusted(hop, proxies):
            return str(_address(hop))
    return peer
