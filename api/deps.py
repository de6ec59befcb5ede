"""What the routes depend on, each an ``Annotated`` alias typed by a core service or port.

``ApiServices`` says what the HTTP API needs from the composition root; ``create_app`` keeps it on
``app.state`` and these dependencies are the only readers of ``app.state``. Tests swap a dependency
with ``app.dependency_overrides``, never by patching.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request

from core.catalog import CatalogService
from core.catalog.search import CatalogSearch
from core.reminders import NoticeLog
from core.rotation import RotationService
from core.wakeups import LiveVersions


class ApiServices(Protocol):
    """The services the API drives (``karaoke.bootstrap.Container`` provides them)."""

    @property
    def catalog(self) -> CatalogService:
        """Song CRUD, listing and import."""
        ...

    @property
    def search(self) -> CatalogSearch:
        """Fuzzy catalog search."""
        ...

    @property
    def rotation(self) -> RotationService:
        """Shows and their rotation."""
        ...

    @property
    def notice_log(self) -> NoticeLog:
        """Reminders read back."""
        ...

    @property
    def versions(self) -> LiveVersions:
        """Shows' versions as this process knows them, kept current by wake-ups (what live streams follow)."""
        ...

    @property
    def admin_token(self) -> str:
        """The token every write needs."""
        ...

    async def readiness_problem(self) -> str | None:
        """Why the service is not ready, or None when it is."""
        ...


@dataclass(frozen=True)
class StreamTiming:
    """How often a live stream says it is alive, and how long one connection lasts.

    Set ``app.state.stream_timing`` to change them (tests shorten them). A connection ends after
    ``max_seconds`` and the browser's EventSource reconnects by itself after ``retry_millis``, which
    spreads screens over the instances again after a scale-out. A server shutting down ends its streams
    at once anyway (sse-starlette drains them on uvicorn's exit signal). A reconnecting screen hears no
    change until it is back, so the lifetime is long: the gap is well under 1% of a screen's time and
    stays out of the change-to-screen p99. (Changes reach a stream as wake-ups; see ``LiveVersions``.)
    """

    keep_alive_seconds: float = 15.0
    max_seconds: float = 300.0
    retry_millis: int = 1000


def services(request: Request) -> ApiServices:
    """The services ``create_app`` was given."""
    found: ApiServices = request.app.state.services
    return found


def _catalog(request: Request) -> CatalogService:
    return services(request).catalog


def _search(request: Request) -> CatalogSearch:
    return services(request).search


def _rotation(request: Request) -> RotationService:
    return services(request).rotation


def _notice_log(request: Request) -> NoticeLog:
    return services(request).notice_log


def _versions(request: Request) -> LiveVersions:
    return services(request).versions


def _stream_timing(request: Request) -> StreamTiming:
    timing = getattr(request.app.state, "stream_timing", None)
    return timing if isinstance(timing, StreamTiming) else StreamTiming()


def _telegram_username(request: Request) -> str | None:
    # Known only once the bot has asked Telegram who it is; the composition root sets it then.
    name = getattr(request.app.state, "telegram_username", None)
    return name if isinstance(name, str) and name else None


ServicesDep = Annotated[ApiServices, Depends(services)]
CatalogDep = Annotated[CatalogService, Depends(_catalog)]
SearchDep = Annotated[CatalogSearch, Depends(_search)]
RotationDep = Annotated[RotationService, Depends(_rotation)]
NoticeLogDep = Annotated[NoticeLog, Depends(_notice_log)]
VersionsDep = Annotated[LiveVersions, Depends(_versions)]
StreamTimingDep = Annotated[StreamTiming, Depends(_stream_timing)]
TelegramBotDep = Annotated[str | None, Depends(_telegram_username)]
