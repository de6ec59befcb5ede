"""Building the FastAPI application around the services the composition root wired."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from api.deps import ApiServices
from api.errors import install_error_handlers
from api.headers import SecurityHeaders
from api.limits import DEFAULT_MAX_BODY_BYTES, BodyLimit
from api.metrics import TimeRequests
from api.metrics import router as metrics_router
from api.pages import router as pages_router
from api.pages.stats import router as stats_page_router
from api.request_ids import RequestIds
from api.routes import health, join, notices, people, performances, shows, songs, stats, stream


def create_app(
    services: ApiServices,
    extra_routers: Sequence[APIRouter] = (),
    *,
    telegram_username: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The HTTP app. It holds ``services``; it creates nothing itself.

    ``extra_routers`` are the chat platforms' inbound endpoints (Telegram webhook, Slack events);
    ``telegram_username`` names the bot the venue screen's QR code opens; a request body over
    ``max_body_bytes`` is refused (413) before any route sees it.
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
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    # The security headers go outside everything, so even an unexpected 500 carries them (``add_middleware``
    # would place them inside the middleware that answers 500). FastAPIOffline is a factory, not a class to extend.
    build_stack = app.build_middleware_stack

    def with_headers() -> ASGIApp:
        return SecurityHeaders(build_stack())

    app.build_middleware_stack = with_headers  # type: ignore[method-assign]
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
    v1.include_router(performances.router)
    v1.include_router(notices.router)
    v1.include_router(stream.router)
    v1.include_router(people.router)
    v1.include_router(join.router)
    v1.include_router(stats.router)
    app.include_router(v1)
    app.include_router(pages_router)
    app.include_router(stats_page_router)
    app.include_router(metrics_router)
    # The pages' scripts and styles: a strict content policy allows no inline ones.
    app.mount("/static", StaticFiles(packages=[("api.pages", "static")]), name="static")
    for router in extra_routers:
        app.include_router(router)
    return app
