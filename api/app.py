"""Building the FastAPI application around an already wired container."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI

from api.errors import install_error_handlers
from api.routes import health, shows, songs

if TYPE_CHECKING:
    from karaoke.bootstrap import Container


def create_app(container: Container) -> FastAPI:
    """The HTTP app. It holds the container; it creates nothing itself."""
    app = FastAPI(
        title="Karaoke",
        version="0.1.0",
        description="Song catalog, rotation and admin API of the chat-bot karaoke service.",
    )
    app.state.container = container
    install_error_handlers(app)
    v1 = APIRouter(prefix="/api/v1")
    v1.include_router(health.router)
    v1.include_router(songs.router)
    v1.include_router(shows.router)
    app.include_router(v1)
    return app
