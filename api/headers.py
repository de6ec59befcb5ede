"""Security headers on every answer: no sniffing, no referrer, no framing, and a strict content policy.

The pages load their script and styles only from ``/static`` (no inline script, no inline style), read
and write only this origin, and may not be framed. ``/docs`` and ``/redoc`` keep a looser same-origin
policy of their own: Swagger UI and ReDoc inline their setup script and styles.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_DOCS_PAGES = frozenset({"/docs", "/redoc"})
# Everything from this origin only. ReDoc's menu shows Redocly's logo from cdn.redoc.ly, unasked; the policy
# keeps the browser from fetching it (the image hides itself when it does not load).
DOCS_POLICY = "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; frame-ancestors 'none'"

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # For browsers older than frame-ancestors.
    (b"x-frame-options", b"DENY"),
]
_PAGE_HEADERS = [*_COMMON, (b"content-security-policy", PAGE_POLICY.encode())]
_DOCS_HEADERS = [*_COMMON, (b"content-security-policy", DOCS_POLICY.encode())]
_OURS = frozenset(name for name, _ in _PAGE_HEADERS)


class SecurityHeaders:
    """Pure ASGI (it must not buffer the live streams): adds the headers to each response's start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = _DOCS_HEADERS if scope["path"] in _DOCS_PAGES else _PAGE_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
                message["headers"] = [*kept, *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
