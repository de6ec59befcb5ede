"""Limits checked before any work: the size of a request body and how deeply its JSON nests.

``BodyLimit`` is pure ASGI and wraps the whole app (API, pages and the chat webhooks), so a body is
counted while it streams in, before a token is checked or a byte is parsed: a ``Content-Length`` over
the limit is refused without reading anything, a chunked body as soon as it passes the limit. Both
answer 413 with the error envelope and close the connection (the rest of the body is never read).

``json_depth_ok`` is the nesting check without recursion; ``BodyLimit`` applies it to JSON bodies
of the API (``/api/``), and any other JSON reader (a webhook) can call it on its raw body.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.envelope import error_body
from core.json_depth import MAX_DEPTH, too_deep

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = MAX_DEPTH

# A JSON string (escapes included) or one of the four brackets. An unterminated string runs to the end
# of the input, so the scan stays linear whatever the input (no retry from each later quote).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})
_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")


def json_depth_ok(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``raw`` nests arrays and objects at most ``limit`` deep (``core.json_depth``:
    linear, never recursive). Malformed JSON may pass: the parser rejects it."""
    return not too_deep(raw, limit)


class _Refused(Exception):
    """Raised into the app from ``receive`` once the body is refused; the middleware answers instead."""


def _envelope_response(status: int, code: str, message: str) -> tuple[Message, Message]:
    body = json.dumps(error_body(code, message, None)).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            # The rest of the body is never read, so this connection cannot carry another request.
            (b"connection", b"close"),
        ],
    }
    return start, {"type": "http.response.body", "body": body, "more_body": False}


def _is_json(scope: Scope) -> bool:
    content_type = b""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            content_type = value.split(b";", 1)[0].strip().lower()
    # FastAPI parses a body without a content type as JSON too.
    return not content_type or content_type == b"application/json" or content_type.endswith(b"+json")


class BodyLimit:
    """Pure ASGI (the live streams pass through unbuffered): bodies over ``max_bytes`` answer 413.

    JSON bodies of the API are also checked for nesting (400 past ``MAX_JSON_DEPTH``); those are read
    whole first, which FastAPI does anyway, and they are at most ``max_bytes``.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._answer(send, *self._too_large())
            return

        refusal: tuple[Message, Message] | None = None
        started = False
        received = 0
        check_depth = scope["method"] not in _NO_BODY and scope["path"].startswith("/api/") and _is_json(scope)

        async def counted() -> Message:
            nonlocal refusal, received
            if refusal is not None:
                raise _Refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refusal = self._too_large()
                    raise _Refused
            return message

        async def whole_json() -> Message:
            # Read the (limited) body whole, check its nesting, then hand it over as one message.
            nonlocal refusal
            chunks = []
            while True:
                message = await counted()
                if message["type"] != "http.request":
                    return message
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            if not json_depth_ok(body):
                refusal = _envelope_response(
                    400, "validation-error", f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels."
                )
                raise _Refused
            return {"type": "http.request", "body": body, "more_body": False}

        first = True

        async def limited_receive() -> Message:
            nonlocal first
            if check_depth and first:
                first = False
                return await whole_json()
            return await counted()

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refusal is not None:
                return  # whatever the app answers to a refused body is dropped; ours goes out instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _Refused:
            if started:
                raise
        if refusal is not None and not started:
            await self._answer(send, *refusal)

    def _too_large(self) -> tuple[Message, Message]:
        return _envelope_response(413, "too-large", f"The request body is larger than {self.max_bytes} bytes.")

    @staticmethod
    async def _answer(send: Send, start: Message, body: Message) -> None:
        await send(start)
        await send(body)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None
