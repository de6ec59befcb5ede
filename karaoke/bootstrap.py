"""The composition root: the one place that builds settings, engine, stores and services and wires them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.catalog import CatalogService
from core.catalog.search import CatalogSearch
from core.chat import ChatBot
from core.delivery import Sender
from core.delivery.worker import Dispatcher, InboxWorker
from core.reminders import NoticeLog, ReminderTicker, plan_notices
from core.rotation import RotationService
from karaoke.settings import Settings
from storage import migrate
from storage.chat_directory import SqlChatDirectory
from storage.db import create_engine
from storage.delivery import SqlInbox, SqlOutbox, SqlSendingTurn
from storage.notices import SqlNoticeStore
from storage.shows import SqlShowStore
from storage.songs import SqlSongStore

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
    chat: ChatBot
    inbox: SqlInbox
    outbox: SqlOutbox
    notices: SqlNoticeStore
    notice_log: NoticeLog
    reminders: ReminderTicker
    admin_token: str
    admin_token_generated: bool

    async def readiness_problem(self) -> str | None:
        """Why the service is not ready, or ``None`` when it is."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            if not await migrate.is_at_head(self.engine):
                return "The database schema is not at the newest migration."
        except Exception:
            logger.warning("readiness check failed", exc_info=True)
            return "The database does not answer."
        if not self.search.ready:
            return "The search index is still being built."
        return None


@asynccontextmanager
async def build(settings: Settings, *, upgrade: bool | None = None) -> AsyncIterator[Container]:
    """Wire the service for ``settings``; dispose of everything on exit.

    ``upgrade`` applies migrations first; by default only on SQLite, the embedded
    single-machine setup (PostgreSQL deployments migrate in a release step).
    """
    engine = create_engine(settings.database_url)
    try:
        if upgrade if upgrade is not None else engine.dialect.name == "sqlite":
            await migrate.upgrade(engine)
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        clock = SystemClock()
        song_store = SqlSongStore(engine, clock)
        show_store = SqlShowStore(engine)
        search = CatalogSearch(song_store, monotonic=time.monotonic, offload=asyncio.to_thread)
        rotation = RotationService(show_store, clock, Uuid4Ids(), secrets.SystemRandom(), AsyncioSleeper(),
                                   notices=plan_notices)
        directory = SqlChatDirectory(engine)
        notices = SqlNoticeStore(engine)
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
            chat=ChatBot(rotation, search, song_store, directory, clock, confirmations=notices),
            inbox=SqlInbox(engine, clock),
            outbox=SqlOutbox(engine),
            notices=notices,
            notice_log=NoticeLog(notices, rotation),
            reminders=ReminderTicker(notices, rotation, directory, clock),
            admin_token=token or secrets.token_urlsafe(24),
            admin_token_generated=token is None,
        )
        yield container
    finally:
        await engine.dispose()


@asynccontextmanager
async def background(
    container: Container,
    senders: Mapping[str, Sender] | None = None,
    extra: Sequence[Callable[[], Awaitable[None]]] = (),
) -> AsyncIterator[None]:
    """Run the service's background work: the search index (built, then following catalog changes),
    the inbox worker, the outbox dispatcher for ``senders``, and ``extra`` loops (platform pollers)."""

    async def follow_catalog() -> None:
        try:
            await container.search.build()
        except Exception:
            logger.exception("building the search index failed; search stays unavailable")
            return
        while True:
            await asyncio.sleep(container.settings.catalog_poll_seconds)
            try:
                await container.search.follow()
            except Exception:
                # A database hiccup must not end the follower; the next poll picks up where this left off.
                logger.warning("following catalog changes failed; retrying", exc_info=True)

    sending_turn = SqlSendingTurn(container.engine, time.monotonic)
    # Set when this process queued messages (replies, settled reminders), so the dispatcher need not wait for its poll.
    messages_queued = asyncio.Event()

    async def handle_updates() -> None:
        worker = InboxWorker(container.inbox, container.chat, container.clock)
        while True:
            try:
                handled = await worker.run_once()
            except Exception:
                logger.warning("handling stored chat updates failed; retrying", exc_info=True)
                handled = 0
            if handled:
                messages_queued.set()  # their replies are in the outbox now
                continue
            # Idle: wake when this process stores an update, or poll for other instances' updates.
            container.inbox.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(container.inbox.arrived.wait(), container.settings.inbox_poll_seconds)

    async def send_replies() -> None:
        # One instance at a time sends for each platform, so the bot's limits hold across instances.
        dispatcher = Dispatcher(container.outbox, senders or {}, container.clock, AsyncioSleeper(), time.monotonic,
                                limits=None if container.settings.rate_limits else {}, turn=sending_turn)
        while True:
            messages_queued.clear()
            try:
                sent = await dispatcher.run_once()
            except Exception:
                logger.warning("sending queued replies failed; retrying", exc_info=True)
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(messages_queued.wait(), container.settings.outbox_poll_seconds)

    reminders_turn = asyncio.Lock()

    async def settle_due_notices() -> None:
        # In-process runs take turns; across instances the store's leases keep notices apart.
        async with reminders_turn:
            try:
                while True:
                    claimed = await container.reminders.run_once()
                    if claimed:
                        messages_queued.set()
                    if claimed < 100:
                        break
            except Exception:
                logger.warning("settling due reminders failed; retrying", exc_info=True)

    async def tick() -> None:
        # The scheduled job. A run already going (woken by this process's own appends) covers this
        # tick, so the job returns at once rather than queueing behind it.
        if not reminders_turn.locked():
            await settle_due_notices()

    async def follow_notices() -> None:
        # Notices due at once (a performance started) go out without waiting for the next tick.
        while True:
            await container.shows.notices_due.wait()
            container.shows.notices_due.clear()
            await settle_due_notices()

    async def guarded(loop: Callable[[], Awaitable[None]]) -> None:
        try:
            await loop()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("background loop %s stopped", getattr(loop, "__qualname__", loop))

    tasks = [
        asyncio.create_task(follow_catalog(), name="catalog-follower"),
        asyncio.create_task(handle_updates(), name="inbox-worker"),
    ]
    scheduler: AsyncIOScheduler | None = None
    if senders:
        # The database is the source of truth; the scheduler only runs the short claim-and-settle
        # job in every instance (time-based reminders, no-show checks, other instances' notices).
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(tick, "interval", seconds=container.settings.reminder_tick_seconds,
                          id="reminders", max_instances=1, coalesce=True, misfire_grace_time=None)
        scheduler.start()
        tasks.append(asyncio.create_task(follow_notices(), name="reminders-follower"))
        tasks.append(asyncio.create_task(send_replies(), name="outbox-dispatcher"))
    tasks += [asyncio.create_task(guarded(loop)) for loop in extra]
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await sending_turn.close()
