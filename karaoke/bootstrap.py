"""The composition root: the one place that builds settings, engine, stores and services and wires them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.access import AdminAccess, FailedAttempts, WebLimits
from core.catalog import CatalogService
from core.catalog.search import CatalogSearch
from core.chat import ChatBot, OpeningRules, parse_allowlist
from core.chat.web import WebSessions, WebSingers
from core.delivery import DirectoryPrivateChats, Sender
from core.delivery.worker import Dispatcher, InboxWorker
from core.people import LoggedSongHistory, People
from core.privacy import PeopleEraser, RetentionSweeper
from core.projections import PERFORMANCES, CaughtUpPerformances, PerformanceLog, Performances, ProjectionRunner
from core.reminders import NoticeLog, ReminderTicker, plan_notices
from core.repeat import Alarm, Repeat
from core.rotation import RotationService
from core.stats import PerformanceStats
from core.wakeups import CATALOG, INBOX, NOTICES, OUTBOX, LiveVersions, Wakeups, forward
from karaoke.metrics import ServiceMetrics, TimedSearch, TimedSleeper
from karaoke.scheduler import ApschedulerScheduler
from karaoke.settings import Settings
from storage import migrate
from storage.chat_directory import SqlChatDirectory
from storage.db import DatabaseOutages, create_engine
from storage.delivery import SqlInbox, SqlOutbox, SqlSendingTurn
from storage.idempotency import SqlIdempotencyKeys
from storage.kjs import SqlKjRegistry
from storage.notify import PgWakeups, wakeups_for
from storage.observed import SqlNoticeStoreTimed, queue_depths
from storage.people import SqlPeopleStore
from storage.picks import SqlPickHistory
from storage.privacy import SqlErasure
from storage.projections import SqlPerformances, SqlProjectionStore
from storage.retention import SqlRetention
from storage.sessions import SqlAdminSessions
from storage.shows import SqlShowStore
from storage.songs import SqlSongStore
from storage.stats import SqlPerformanceStats, SummedPerformances
from storage.web_joins import SqlWebJoins

logger = logging.getLogger(__name__)


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class Uuid4Ids:
    """Fresh random UUIDs as text."""

    def new_id(self) -> str:
        return str(uuid.uuid4())


class AsyncioSleeper:
    """Waits on the running event loop."""

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class Container:
    """Everything the adapters need, built once per process."""

    settings: Settings
    engine: AsyncEngine
    clock: SystemClock
    songs: SqlSongStore
    catalog: CatalogService
    search: CatalogSearch
    shows: SqlShowStore
    rotation: RotationService
    directory: SqlChatDirectory
    people: People
    kjs: SqlKjRegistry
    opening: OpeningRules
    chat: ChatBot
    inbox: SqlInbox
    outbox: SqlOutbox
    notices: SqlNoticeStoreTimed
    notice_log: NoticeLog
    reminders: ReminderTicker
    inbox_worker: InboxWorker
    scheduler: ApschedulerScheduler
    # Writes announced by any instance (PostgreSQL LISTEN) or by this one (SQLite), fanned out in memory.
    wakeups: Wakeups
    versions: LiveVersions
    # Set whenever this process queued messages (replies, settled reminders): the dispatcher wakes.
    messages_queued: asyncio.Event
    admin_token: str
    admin_token_generated: bool
    # Recognises database outages for the API and the background loops, and logs each outage once.
    outages: DatabaseOutages
    # This instance's Prometheus registry and instruments (GET /metrics).
    metrics: ServiceMetrics
    retention: RetentionSweeper
    eraser: PeopleEraser
    access: AdminAccess
    idempotency: SqlIdempotencyKeys
    # Singers in a browser (the join page): sessions signed with the settings' secret, writes rate-limited.
    web: WebSingers
    web_limits: WebLimits
    # Read-side views built from the event log (core.projections): the runner follows every show's stream in the
    # background; ``performances`` reads the Performances view, one show caught up before it is read; ``stats``
    # sums the view up (the stats API and page, /top, /again, search).
    projections: ProjectionRunner
    performances: PerformanceLog
    stats: PerformanceStats

    @property
    def public_url(self) -> str | None:
        """The service's public address (``KARAOKE_PUBLIC_URL``), for links that leave the page (the QR code)."""
        return self.settings.public_url

    @property
    def web_session_seconds(self) -> int:
        """How long a web singer's session cookie lasts."""
        return int(self.settings.web_session_hours * 3600)

    @property
    def max_open_shows(self) -> int:
        """How many shows may be open at once, in the whole service."""
        return self.opening.max_open_shows

    def opening_turn(self) -> AbstractAsyncContextManager[None]:
        """The turn every opening of a show takes, in chat or through the API (one across instances)."""
        return self.kjs.opening_turn()

    async def readiness_problem(self) -> str | None:
        """Why the service is not ready, or ``None`` when it is."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            if not await migrate.is_at_head(self.engine):
                return "The database schema is not at the newest migration."
        except Exception as error:
            if not self.outages.absorbs(error):
                logger.warning("readiness check failed", exc_info=True)
            return "The database does not answer."
        if not self.search.ready:
            return "The search index is still being built."
        return None

    def readiness_details(self) -> dict[str, dict[str, str]]:
        """What ``/readyz`` reports beside ready or not: how each projection fares in this instance.

        A failing projection does not make the instance unready: readiness decides whether traffic reaches
        this instance, every instance reads the same failing view, and the rotation does not need it, so
        taking instances out would stop the night for a fault of the read side only."""
        return {"projections": {health.name: health.detail for health in self.projections.health()}}


@asynccontextmanager
async def build(settings: Settings, *, upgrade: bool | None = None) -> AsyncIterator[Container]:
    """Wire the service for ``settings``; dispose of everything on exit.

    ``upgrade`` applies migrations first; by default only on SQLite, the embedded
    single-machine setup (PostgreSQL deployments migrate in a release step).
    """
    engine = create_engine(settings.database_url)
    outages = DatabaseOutages(engine, monotonic=time.monotonic)
    wakeups = wakeups_for(engine, time.monotonic, outages)
    try:
        if upgrade if upgrade is not None else engine.dialect.name == "sqlite":
            await migrate.upgrade(engine)
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        admin_token = token or secrets.token_urlsafe(24)
        clock = SystemClock()
        metrics = ServiceMetrics(
            token=settings.metrics_token.get_secret_value() if settings.metrics_token else admin_token,
            queues=lambda: queue_depths(engine), clock=clock, outages=outages,
            database_down=lambda: outages.down,
        )
        song_store = SqlSongStore(engine, clock)
        show_store = SqlShowStore(engine, wakeups)
        stats = SqlPerformanceStats(engine)
        search = TimedSearch(song_store, monotonic=time.monotonic, offload=asyncio.to_thread,
                             picks=SqlPickHistory(engine), popular=stats, outages=outages,
                             observe=metrics.search.observe)
        rotation = RotationService(show_store, clock, Uuid4Ids(), secrets.SystemRandom(), AsyncioSleeper(),
                                   notices=plan_notices)
        directory = SqlChatDirectory(engine)
        # The Performances view's rows and their sums (storage.stats) are written together.
        performances_view = SqlPerformances(engine)
        projection_store = SqlProjectionStore(engine, {PERFORMANCES: SummedPerformances(engine, performances_view)})
        projections = ProjectionRunner(projection_store, [Performances()], clock=clock, monotonic=time.monotonic,
                                       wakeups=wakeups, safety_net_seconds=settings.safety_net_seconds,
                                       outages=outages)
        performances = CaughtUpPerformances(performances_view, projections)
        eraser = PeopleEraser(rotation, SqlErasure(engine, views=projection_store), lambda: secrets.token_hex(8),
                              forgotten=[directory.forget_cached])
        notices = SqlNoticeStoreTimed(
            engine, wakeups, on_sent=lambda kind, late: metrics.reminder_delay.labels(kind).observe(late))
        inbox = SqlInbox(engine, clock)
        kjs = SqlKjRegistry(engine)
        opening = OpeningRules(parse_allowlist(settings.kj_allowlist), settings.max_open_shows,
                               settings.max_open_shows_per_person)
        people_store = SqlPeopleStore(engine)
        ids = Uuid4Ids()
        people = People(people_store, rotation, clock, new_id=ids.new_id)
        chat = ChatBot(rotation, search, song_store, directory, clock, people=people,
                       song_history=LoggedSongHistory(rotation, people_store), confirmations=notices, kjs=kjs,
                       opening=opening, forgetter=eraser, performances=performances, stats=stats)
        scheduler = ApschedulerScheduler()
        queued = asyncio.Event()
        container = Container(
            settings=settings,
            engine=engine,
            clock=clock,
            songs=song_store,
            catalog=CatalogService(song_store, clock, listeners=[search]),
            search=search,
            shows=show_store,
            rotation=rotation,
            directory=directory,
            people=people,
            kjs=kjs,
            opening=opening,
            chat=chat,
            inbox=inbox,
            outbox=SqlOutbox(engine, wakeups),
            notices=notices,
            notice_log=NoticeLog(notices, rotation),
            reminders=ReminderTicker(notices, rotation, directory, clock, scheduler=scheduler,
                                     tick_seconds=settings.safety_net_seconds, due=show_store.notices_due,
                                     messages_queued=queued, outages=outages, people=people_store),
            inbox_worker=InboxWorker(inbox, chat, clock, arrived=inbox.arrived, replies_queued=queued,
                                     poll_seconds=settings.safety_net_seconds, outages=outages,
                                     toasts=settings.free_channels),
            scheduler=scheduler,
            wakeups=wakeups,
            versions=LiveVersions(wakeups, show_store.version, time.monotonic, max_age=settings.safety_net_seconds),
            messages_queued=queued,
            admin_token=admin_token,
            admin_token_generated=token is None,
            outages=outages,
            metrics=metrics,
            retention=RetentionSweeper(SqlRetention(engine), clock, timedelta(days=settings.retention_days)),
            eraser=eraser,
            access=_admin_access(settings, engine, clock),
            idempotency=SqlIdempotencyKeys(engine, clock),
            web=WebSingers(chat.steps, WebSessions(_web_secret(settings, admin_token),
                                                   lambda: secrets.token_urlsafe(18)), lambda: uuid.uuid4().hex,
                           joins=SqlWebJoins(engine), rejoin_seconds=settings.web_rejoin_seconds),
            web_limits=_web_limits(settings),
            projections=projections,
            performances=performances,
            stats=stats,
        )
        yield container
    finally:
        await outages.close()
        if isinstance(wakeups, PgWakeups):
            await wakeups.close()
        await engine.dispose()


async def _say_who_may_open(container: Container) -> None:
    """One line at start: an operator running an open service learns it, and how to restrict it."""
    opening = container.opening
    invites = await container.kjs.invites_exist()
    if not opening.allowlist and not invites:
        logger.warning("Anyone may open shows: set KARAOKE_KJ_ALLOWLIST or make a KJ invite with "
                       "`karaoke kj invite` to restrict who may (see docs/deploy.md, \"Who may open shows\")")
        return
    logger.info("Only KJs may open shows: %d on KARAOKE_KJ_ALLOWLIST%s; at most %d open shows, %d per person",
                len(opening.allowlist), " and whoever redeemed a KJ invite" if invites else "",
                opening.max_open_shows, opening.max_open_per_person)


def _web_secret(settings: Settings, admin_token: str) -> bytes:
    """The key web session cookies are signed with: the configured one, else one derived from the admin token
    (a one-way derivation: a cookie reveals nothing of the token)."""
    if settings.web_session_secret is not None and settings.web_session_secret.get_secret_value():
        return hashlib.sha256(settings.web_session_secret.get_secret_value().encode()).digest()
    return hmac.new(admin_token.encode(), b"karaoke web sessions v1", hashlib.sha256).digest()


def _web_limits(settings: Settings) -> WebLimits:
    window = settings.web_limit_window_seconds
    return WebLimits(
        per_session=FailedAttempts(time.monotonic, limit=settings.web_session_limit, window_seconds=window),
        per_address=FailedAttempts(time.monotonic, limit=settings.web_address_limit, window_seconds=window),
    )


def _admin_access(settings: Settings, engine: AsyncEngine, clock: SystemClock) -> AdminAccess:
    lifetime = timedelta(hours=settings.admin_session_hours)
    return AdminAccess(
        sessions=SqlAdminSessions(engine, clock, lambda: secrets.token_urlsafe(32), lifetime),
        guard=FailedAttempts(time.monotonic, limit=settings.auth_failure_limit,
                             window_seconds=settings.auth_failure_window_seconds),
        trust_proxy_headers=settings.trust_proxy_headers,
        secure_cookies=(settings.public_url or "").lower().startswith("https://"),
        session_seconds=int(lifetime.total_seconds()),
    )


def _platform_loop(loop: Callable[[], Awaitable[None]], outages: DatabaseOutages) -> Repeat:
    """A platform's own endless loop (a poller), started again a second later should it ever fail (a poller
    failing because the database is away is the outage's, logged once)."""

    async def run() -> bool:
        await loop()
        return False

    return Repeat(getattr(loop, "__qualname__", "platform-loop"), run, idle_seconds=1.0, outages=outages)


@asynccontextmanager
async def background(
    container: Container,
    senders: Mapping[str, Sender] | None = None,
    extra: Sequence[Callable[[], Awaitable[None]]] = (),
) -> AsyncIterator[None]:
    """Run the service's background work, each part a named object started here and stopped on exit.

    Always: the search index (built, then following catalog changes), the inbox worker, the
    projections (following every show's stream into the read-side views) and the retention sweep (every
    ``retention_sweep_seconds``; instances take turns). The index and the
    worker wake when a write they care about is announced (by any instance on PostgreSQL) and
    otherwise look again only every ``safety_net_seconds``. With
    ``senders``: the outbox dispatcher, and the reminders (settled in every instance when the next
    notice comes due, when any instance stores notices, and by an APScheduler safety-net job). ``extra`` are the
    platforms' own loops (pollers).
    """
    settings = container.settings
    await _say_who_may_open(container)
    # One instance at a time sends for each platform, so the bot's limits hold across instances.
    sending_turn = SqlSendingTurn(container.engine, time.monotonic)
    dispatcher = Dispatcher(container.outbox, senders or {}, container.clock,
                            TimedSleeper(AsyncioSleeper(), container.metrics), time.monotonic,
                            limits=None if settings.rate_limits else {}, turn=sending_turn,
                            queued=container.messages_queued, poll_seconds=settings.outbox_poll_seconds,
                            outages=container.outages, coalescing=settings.coalesce_replies,
                            free_channels=settings.free_channels,
                            private_chats=DirectoryPrivateChats(container.directory) if settings.free_channels
                            else None)
    catalog_changed = asyncio.Event()

    async def settle_reminders() -> datetime | None:
        await container.reminders.settle_due()
        return await container.notices.next_due()

    alarm = Alarm("reminders-alarm", settle_reminders, container.clock, safety_seconds=settings.safety_net_seconds,
                  outages=container.outages)

    def notices_stored(_show_id: str, first_due: str | None) -> None:
        # Announced with when the first of them comes due: the alarm wakes only if that is sooner.
        try:
            due = datetime.fromisoformat(first_due) if first_due else None
        except ValueError:
            due = None
        alarm.wake_for(due)


    def replies_queued(platform: str, _data: str | None) -> None:
        # Only the instance sending for a platform wakes for its queued replies; the others would only
        # ask for the turn again (their outbox poll notices a turn that fell free).
        if sending_turn.holds(platform):
            container.messages_queued.set()

    # Other instances' writes wake the same events this process's own writes set.
    unlisten = [
        forward(container.wakeups, CATALOG, catalog_changed),
        forward(container.wakeups, INBOX, container.inbox.arrived),
        container.wakeups.listen(OUTBOX, None, replies_queued),
        container.wakeups.listen(NOTICES, None, notices_stored),
    ]
    container.search.start(settings.safety_net_seconds, wake=catalog_changed)
    retention = Repeat("retention-sweep", container.retention.step, idle_seconds=settings.retention_sweep_seconds)
    parts: list[Repeat | Alarm | InboxWorker | Dispatcher | ReminderTicker | ProjectionRunner] = [
        container.inbox_worker, container.projections, retention]
    if senders:
        # The database is the source of truth. Reminders are settled when the next notice comes due (by
        # its stored time), when any instance stores notices, and by the scheduler's safety-net job.
        parts += [container.reminders, alarm, dispatcher]
    parts += [_platform_loop(loop, container.outages) for loop in extra]
    for part in parts:
        part.start()
    if senders:
        container.scheduler.start()
    try:
        yield
    finally:
        container.scheduler.stop()
        for part in reversed(parts):
            await part.stop()
        await container.search.stop()
        await sending_turn.close()
        for stop in unlisten:
            stop()
