"""The admin check for writes: a bearer token, or the KJ dashboard's cookie plus a CSRF header."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ServicesDep
from api.errors import ApiError

ADMIN_COOKIE = "karaoke_admin"
CSRF_HEADER = "X-Karaoke-CSRF"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="The admin token (KARAOKE_ADMIN_TOKEN)")


def is_admin_token(expected: str, given: str) -> bool:
    """Whether ``given`` is the admin token ``expected``; compared in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


async def require_admin(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with the admin token: as a bearer token, or as the dashboard's cookie.

    A cookie is sent by the browser whoever made the page, so a cookie-authenticated write must also
    carry the custom ``X-Karaoke-CSRF`` header, which no other site can add without our CORS consent.
    """
    if credentials is not None:
        if is_admin_token(services.admin_token, credentials.credentials):
            return
    else:
        cookie = request.cookies.get(ADMIN_COOKIE, "")
        if is_admin_token(services.admin_token, cookie):
            if request.method in _SAFE_METHODS or request.headers.get(CSRF_HEADER) == "1":
                return
            raise ApiError(403, "forbidden", f"Cookie-authenticated writes need the header {CSRF_HEADER}: 1.")
    raise ApiError(
        401, "unauthorized", "A valid admin bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
    )


AdminDep = Depends(require_admin)
