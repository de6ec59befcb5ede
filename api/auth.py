"""The admin check for writes: a bearer token, or the KJ dashboard's session cookie plus a CSRF header.

Guessing is limited per client: after a few wrong tokens a client is answered 429 with ``Retry-After``
and nothing it sends is checked until the wait is over (``core.access.FailedAttempts``).
"""

from __future__ import annotations

import hmac
import ipaddress
import math
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ServicesDep
from api.errors import ApiError
from core.access import AdminAccess

ADMIN_COOKIE = "karaoke_admin"
CSRF_HEADER = "X-Karaoke-CSRF"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="The admin token (KARAOKE_ADMIN_TOKEN)")


def is_admin_token(expected: str, given: str) -> bool:
    """Whether ``given`` is the admin token ``expected``; compared in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


def client_of(request: Request, access: AdminAccess) -> str:
    """The address failed attempts are counted against.

    Behind a trusted proxy the client is the one Fly names in ``Fly-Client-IP``, or else the last
    ``X-Forwarded-For`` entry (the one the proxy appended; earlier ones are the client's own words).
    Without ``trust_proxy_headers`` those headers are ignored: anyone could write them. An IPv6 client
    is its /64, the block one subscriber usually holds whole, so it cannot change address per guess.
    """
    address = request.client.host if request.client else "unknown"
    if access.trust_proxy_headers:
        named = request.headers.get("fly-client-ip", "").strip()
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
        address = named or forwarded or address
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if parsed.version == 6 and not (parsed.ipv4_mapped or parsed.is_loopback):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed.ipv4_mapped or parsed) if parsed.version == 6 else str(parsed)


def https_request(request: Request, access: AdminAccess) -> bool:
    """Whether cookies set in answer to ``request`` go over https only: the public address is https, or the
    request came over https (directly or, by its proxy's word, ``X-Forwarded-Proto``)."""
    return (access.secure_cookies or request.url.scheme == "https"
            or request.headers.get("x-forwarded-proto", "") == "https")


def retry_after(seconds: float) -> str:
    """The ``Retry-After`` value for a wait: whole seconds, at least one."""
    return str(max(1, math.ceil(seconds)))


def too_many_attempts(seconds: float) -> ApiError:
    """The 429 for a client that guessed wrong too often."""
    return ApiError(429, "too-many-attempts", "Too many wrong tokens from this address; try again later.",
                    headers={"Retry-After": retry_after(seconds)})


async def require_admin(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with the admin token as a bearer token, or with a dashboard session.

    A cookie is sent by the browser whoever made the page, so a cookie-authenticated write must also
    carry the custom ``X-Karaoke-CSRF`` header, which no other site can add without our CORS consent.
    Wrong bearer tokens count against the client; session ids are not counted (they are random and
    too long to guess, and a KJ's expired cookie must not lock them out of logging in again).
    """
    access = services.access
    client = client_of(request, access)
    wait = access.guard.wait(client)
    if wait > 0:
        raise too_many_attempts(wait)
    if credentials is not None:
        if is_admin_token(services.admin_token, credentials.credentials):
            return
        access.guard.failed(client)
    else:
        session = request.cookies.get(ADMIN_COOKIE, "")
        if session and await access.sessions.is_open(session):
            if request.method in _SAFE_METHODS or request.headers.get(CSRF_HEADER) == "1":
                return
            raise ApiError(403, "forbidden", f"Cookie-authenticated writes need the header {CSRF_HEADER}: 1.")
    raise ApiError(
        401, "unauthorized", "A valid admin bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
    )


AdminDep = Depends(require_admin)
