"""Bearer-token check for writes."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError

_bearer = HTTPBearer(auto_error=False, description="The admin token (KARAOKE_ADMIN_TOKEN)")


async def require_admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Let the request through only with the admin bearer token; compared in constant time."""
    expected: str = request.app.state.container.admin_token
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(
            401, "unauthorized", "A valid admin bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
        )


AdminDep = Depends(require_admin)
