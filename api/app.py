"""Building the FastAPI application around the services the composition root wired."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import ApiServices
from api.errors import install_error_handlers
from api.metrics import TimeRequests
from api.metrics import router as metrics_router
from api.pages import router as pages_router
from api.request_ids import RequestIds
from api.routes import health, notices, people, shows, songs, stream

_DOCS_PAGES = frozenset({"/docs", "/redoc"})
# Everything from this origin only. ReDoc's menu shows Redocly's logo from cdn.redoc.ly, unasked; the policy
# keeps the browser from fetching it (the image hides itself when it does not load).
_SAME_ORIGIN_ONLY = b"default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:"


class _DocsStayHome:
    """Pure ASGI (it must not buffer the live streams): the docs pages get a same-origin content policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in _DOCS_PAGES:
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"content-security-policy", _SAME_ORIGIN_ONLY)]
            await send(message)

        await self.app(scope, receive, send_with_policy)


def create_app(
    services: ApiServices, extra_routers: Sequence[APIRouter] = (), *, telegram_username: str | None = None
) -> FastAPI:
    """The HTTP app. It holds ``services``; it creates nothing itself.

    ``extra_routers`` are the chat platforms' inbound endpoints (Telegram webhook, Slack events);
    ``telegram_username`` names the bot the venue screen's QR code opens.
    """
    # /docs and /redoc load Swagger UI and ReDoc from this process (fastapi-offline bundles them), not a CDN:
    # a venue's laptop without internet still has its API docs.
    app = FastAPIOffline(
        title="Karaoke",
        version="0.1.0",
        description="Song catalog, rotation and admin API of the chat-bot karaoke service.",
        static_url="/docs-assets",
        # Swagger UI would show a badge image fetched from validator.swagger.io for a non-local address.
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.add_middleware(_DocsStayHome)
    app.state.services = services
    app.state.telegram_username = telegram_username
    install_error_handlers(app, services.outages)
    # Outside the 503 answer, so a request answered 503 is timed with its status.
    app.add_middleware(TimeRequests, metrics=services.metrics)
    # Outermost of ours: every log line written while answering a request carries its id.
    app.add_middleware(RequestIds)
    v1 = APIRouter(prefix="/api/v1")
    v1.include_router(health.router)
    v1.include_router(songs.router)
    v1.include_router(shows.router)
    v1.include_router(notices.router)
    v1.include_router(stream.router)
    v1.include_router(people.router)
    app.include_router(v1)
    app.include_router(pages_router)
    app.include_router(metrics_router)
    for router in extra_routers:
        app.include_router(router)
    return app
