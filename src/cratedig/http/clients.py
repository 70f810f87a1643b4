"""Who is calling: the peer, or X-Forwarded-For's client when the peer is a trusted proxy.

This is the one place that decides a request's client address: `serve` turns uvicorn's own
proxy-header handling off, `ClientAddress` resolves the address once per request from
`CRATEDIG_TRUSTED_PROXIES`, and everything else (rate limit, access log) reads `client_of`.
Admin rights never go by it: they use the real peer address or the token.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from cratedig.config import Settings, parse_networks

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"
STATE_KEY = "client_address"


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


def peer_address(scope: Scope) -> str:
    """The address of whoever opened the connection."""
    client = scope.get("client")
    return str(client[0]) if client else UNKNOWN


def client_address(scope: Scope, proxies: Sequence[Network]) -> str:
    """The client's address; X-Forwarded-For is believed only from a listed proxy.

    Walking X-Forwarded-For from the right, the first address that is not a trusted proxy
    is the client: entries further left were written by the client itself and may be lies.
    """
    peer = peer_address(scope)
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


def client_of(scope: Scope) -> str:
    """The address `ClientAddress` resolved for this request (the peer outside it)."""
    resolved = scope.get("state", {}).get(STATE_KEY)
    return str(resolved) if resolved else peer_address(scope)


class ClientAddress:
    """Resolve the client address once per request and keep it in the request's state."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._proxies_text = settings.trusted_proxies
        self._proxies = parse_networks(settings.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            if self.settings.trusted_proxies != self._proxies_text:  # changed at run time
                self._proxies_text = self.settings.trusted_proxies
                self._proxies = parse_networks(self._proxies_text)
            scope.setdefault("state", {})[STATE_KEY] = client_address(scope, self._proxies)
        await self.app(scope, receive, send)
