"""A request id for every HTTP request: the caller's ``X-Request-ID`` when it is sane, else a fresh one.

It is echoed in the response's ``X-Request-ID`` header and held in a context variable for the length of
the request, so every log line written while answering it can carry it (``KARAOKE_LOG_FORMAT=json``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
# Letters, digits and a few separators, at most 128: an id a proxy made is kept, anything else is replaced
# (it goes into log lines and a response header, so no spaces, quotes or control characters).
_SANE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def _fresh() -> str:
    return uuid.uuid4().hex


class RequestIds:
    """Pure ASGI (it must not buffer the live streams): sets the request id around each HTTP request."""

    def __init__(self, app: ASGIApp, new_id: Callable[[], str] = _fresh) -> None:
        self.app = app
        self.new_id = new_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == HEADER.encode()), "")
        request_id = given if _SANE.fullmatch(given) else self.new_id()
        header = (HEADER.encode(), request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*(h for h in message.get("headers", []) if h[0].lower() != header[0]),
                                      header]
            await send(message)

        token = current_request_id.set(request_id)
        # Left set when the request failed: Starlette's 500 handler logs the traceback outside this
        # middleware, and that line should carry the id too. (Servers run each request in a task of
        # its own, so the id goes no further than its request.)
        await self.app(scope, receive, send_with_id)
        current_request_id.reset(token)
