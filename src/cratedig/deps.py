"""Request dependencies: the runtime, a session per request (the boundary commits), admin auth."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from cratedig.config import Settings
from cratedig.errors import ApiError
from cratedig.runtime import Runtime
from cratedig.storage import Storage

# The cheap dependencies are `async def`: FastAPI runs a plain `def` one in the thread pool,
# a hop (and a wake-up of a worker thread) per dependency per request.


async def get_runtime(request: Request) -> Runtime:
    """The runtime the app's lifespan started."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_storage(runtime: RuntimeDep) -> Storage:
    """The object storage."""
    return runtime.storage


StorageDep = Annotated[Storage, Depends(get_storage)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """A session committed when the handler returns, rolled back when it raises."""
    with runtime.sessions() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": commit before the response is sent, so a client that reads right
# after a write sees it, and a failed commit is an error response, not a silent loss.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def is_loopback(host: str | None) -> bool:
    """Whether a client address is 127.0.0.0/8 or ::1 (IPv4-mapped forms included)."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def check_admin(request: Request, settings: Settings) -> None:
    """Raise 401 (no token given) or 403 (wrong token, or not loopback when none is set)."""
    token = settings.admin_token
    if not token:
        if settings.env == "production":
            raise ApiError(403, "admin_disabled", "no admin token is configured")
        client = request.client.host if request.client else None
        if not is_loopback(client):
            raise ApiError(
                403, "forbidden", "admin endpoints accept loopback clients only without a token"
            )
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(
            401,
            "unauthorized",
            "admin token required (Authorization: Bearer …)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(403, "forbidden", "wrong admin token")


def require_admin(request: Request, settings: SettingsDep) -> None:
    """Admin endpoints: `Authorization: Bearer $CRATEDIG_ADMIN_TOKEN`, or loopback without one."""
    check_admin(request, settings)


AdminDep = Annotated[None, Depends(require_admin)]
