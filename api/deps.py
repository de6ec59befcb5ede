"""What the routes depend on, each an ``Annotated`` alias typed by a core service or port.

``ApiServices`` says what the HTTP API needs from the composition root; ``create_app`` keeps it on
``app.state`` and these dependencies are the only readers of ``app.state``. Tests swap a dependency
with ``app.dependency_overrides``, never by patching.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry, Histogram

from core.access import AdminAccess, IdempotencyKeys, WebLimits
from core.catalog import CatalogService
from core.catalog.search import CatalogSearch
from core.chat.web import WebSingers
from core.people import People
from core.privacy import PeopleEraser
from core.projections import PerformanceLog
from core.reminders import NoticeLog
from core.repeat import Outages
from core.rotation import RotationService
from core.stats import PerformanceStats
from core.wakeups import LiveVersions


class Metrics(Protocol):
    """What the API needs of the service's metrics."""

    @property
    def registry(self) -> CollectorRegistry:
        """Every instrument of this service instance."""
        ...

    @property
    def requests(self) -> Histogram:
        """Request durations, labelled ``method``, ``route`` (the template) and ``status``."""
        ...

    @property
    def token(self) -> str:
        """The bearer token a scraper must send."""
        ...

    async def refresh(self) -> None:
        """Read what is measured at scrape time (the queue depths)."""
        ...


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
    def max_open_shows(self) -> int:
        """How many shows may be open at once; opening one more is refused."""
        ...

    def opening_turn(self) -> AbstractAsyncContextManager[None]:
        """Held while counting open shows and opening one, so concurrent openings respect the cap."""
        ...

    @property
    def people(self) -> People:
        """The people behind accounts: where an account or a walk-in's name becomes a singer."""
        ...

    @property
    def eraser(self) -> PeopleEraser:
        """Forgets people on request."""
        ...

    @property
    def versions(self) -> LiveVersions:
        """Shows' versions as this process knows them, kept current by wake-ups (what live streams follow)."""
        ...

    @property
    def admin_token(self) -> str:
        """The token every write needs."""
        ...

    @property
    def outages(self) -> Outages:
        """Tells a database outage (answered 503) from other failures."""
        ...

    @property
    def metrics(self) -> Metrics:
        """The Prometheus registry and instruments of this instance (``/metrics``)."""
        ...

    @property
    def access(self) -> AdminAccess:
        """Dashboard sessions and the limit on wrong tokens."""
        ...

    @property
    def idempotency(self) -> IdempotencyKeys:
        """Which request each Idempotency-Key was first used with."""
        ...

    @property
    def web(self) -> WebSingers:
        """Singers in a browser: joining with a name, requesting, cancelling, On my way."""
        ...

    @property
    def web_limits(self) -> WebLimits:
        """How often a web singer (per session and per address) may write."""
        ...

    @property
    def web_session_seconds(self) -> int:
        """How long a web singer's session cookie lasts."""
        ...

    @property
    def public_url(self) -> str | None:
        """The service's public address, when configured (links on the venue screen use it)."""
        ...

    @property
    def performances(self) -> PerformanceLog:
        """The Performances view (one show caught up before it is read)."""
        ...

    @property
    def stats(self) -> PerformanceStats:
        """The shows' performances summed up (``/stats``)."""
        ...

    async def readiness_problem(self) -> str | None:
        """Why the service is not ready, or None when it is."""
        ...

    def readiness_details(self) -> dict[str, dict[str, str]]:
        """What readiness reports beside ready or not (how each projection fares)."""
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


async def _search(request: Request) -> CatalogSearch:
    # A coroutine, so FastAPI calls it in line: a plain function is run in the thread pool, a thread
    # hand-off per search that cost more than the search itself on a busy machine (issue 14).
    return services(request).search


def _rotation(request: Request) -> RotationService:
    return services(request).rotation


def _notice_log(request: Request) -> NoticeLog:
    return services(request).notice_log


def _max_open_shows(request: Request) -> int:
    return services(request).max_open_shows


def _people(request: Request) -> People:
    return services(request).people


def _eraser(request: Request) -> PeopleEraser:
    return services(request).eraser


def _performances(request: Request) -> PerformanceLog:
    return services(request).performances


def _versions(request: Request) -> LiveVersions:
    return services(request).versions


def _stream_timing(request: Request) -> StreamTiming:
    timing = getattr(request.app.state, "stream_timing", None)
    return timing if isinstance(timing, StreamTiming) else StreamTiming()


def _web(request: Request) -> WebSingers:
    return services(request).web


def _stats(request: Request) -> PerformanceStats:
    return services(request).stats


def _telegram_username(request: Request) -> str | None:
    # Known only once the bot has asked Telegram who it is; the composition root sets it then.
    name = getattr(request.app.state, "telegram_username", None)
    return name if isinstance(name, str) and name else None


ServicesDep = Annotated[ApiServices, Depends(services)]
CatalogDep = Annotated[CatalogService, Depends(_catalog)]
SearchDep = Annotated[CatalogSearch, Depends(_search)]
RotationDep = Annotated[RotationService, Depends(_rotation)]
NoticeLogDep = Annotated[NoticeLog, Depends(_notice_log)]
MaxOpenShowsDep = Annotated[int, Depends(_max_open_shows)]
PeopleDep = Annotated[People, Depends(_people)]
EraserDep = Annotated[PeopleEraser, Depends(_eraser)]
VersionsDep = Annotated[LiveVersions, Depends(_versions)]
StreamTimingDep = Annotated[StreamTiming, Depends(_stream_timing)]
TelegramBotDep = Annotated[str | None, Depends(_telegram_username)]
WebDep = Annotated[WebSingers, Depends(_web)]
PerformancesDep = Annotated[PerformanceLog, Depends(_performances)]
StatsDep = Annotated[PerformanceStats, Depends(_stats)]
