"""The admin token's login form, as the KJ dashboard and the stats page both take it: the token is checked once
and traded for a session cookie (the cookie holds only the session's random id; the token never leaves the form)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api.auth import ADMIN_COOKIE, client_of, https_request, is_admin_token, retry_after
from api.deps import ApiServices

LOGIN_BODY_LIMIT = 4096
TOO_MANY = "Too many wrong tokens from here. Wait a minute, then try again."
WRONG = "That token is not right. Try again."


async def log_in(request: Request, services: ApiServices, form: Callable[[str, int], Response], then: str) -> Response:
    """Check the form's admin token. Right: a new session's cookie and on to ``then``. Wrong: ``form`` again with
    401. A client with too many wrong tokens gets ``form`` with 429 and ``Retry-After``, its token unchecked."""
    access = services.access
    client = client_of(request, access)
    wait = access.guard.wait(client)
    if wait > 0:
        answer = form(TOO_MANY, 429)
        answer.headers["Retry-After"] = retry_after(wait)
        return answer
    body = await request.body()
    fields = parse_qs(body[:LOGIN_BODY_LIMIT].decode("utf-8", "replace"))
    token = (fields.get("token") or [""])[0].strip()
    if not token or not is_admin_token(services.admin_token, token):
        access.guard.failed(client)
        return form(WRONG, 401)
    response = RedirectResponse(then, status_code=303)
    response.set_cookie(ADMIN_COOKIE, await access.sessions.start(), max_age=access.session_seconds, path="/",
                        httponly=True, samesite="strict", secure=https_request(request, access))
    return response
