"""Wake-ups across instances: PostgreSQL ``LISTEN``/``NOTIFY``, or in-process on SQLite.

``PgWakeups`` keeps ONE listening connection per process (a raw asyncpg connection of its own, not
one of the pool's) and fans every notification out in memory to whoever waits in this process. The
connection is opened on first use and re-opened when it drops (at once, then with a growing back-off); a
database outage is logged once by the service's ``Outages``, a single lost connection as one line when it
listens again, and then every waiter is told to look again, since what was announced meanwhile is lost.

``Announcer`` is the writing half the stores use: on PostgreSQL it adds ``pg_notify`` to the write's
own transaction (delivered at commit, never before the data is visible, and never for a write that
rolled back); on SQLite it wakes this process's waiters after the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.clock import Monotonic
from core.repeat import NoOutages, Outages
from core.wakeups import CHANNELS, Fanout, Listener, LocalWakeups, Wakeups

logger = logging.getLogger(__name__)

PREFIX = "karaoke_"
APPLICATION_NAME = "karaoke-wakeups"
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 30.0
# A connection that lived this long was a working one: after it drops, reconnect at once.
STEADY_SECONDS = 5.0
# A connection can die without a word (a NAT or firewall drops it); a short query this often finds out.
CHECK_SECONDS = 15.0


def pg_channel(channel: str) -> str:
    """The PostgreSQL channel name of one of ours (prefixed, so other software's channels never mix in)."""
    return PREFIX + channel


def payload(key: str, data: str | None) -> str:
    """The notification's text: the key, then a space and the data when there is some."""
    return key if data is None else f"{key} {data}"


def parse_payload(text_: str) -> tuple[str, str | None]:
    """Back from ``payload``."""
    key, space, data = text_.partition(" ")
    return key, (data if space else None)


class PgWakeups:
    """Implements ``core.wakeups.Wakeups`` over PostgreSQL ``LISTEN``, one connection per process."""

    def __init__(self, engine: AsyncEngine, monotonic: Monotonic, *, check_seconds: float = CHECK_SECONDS,
                 outages: Outages | None = None) -> None:
        """Connect like ``engine`` does (same URL, same SSL), but outside its pool; ``monotonic`` times outages.

        A failure to connect that ``outages`` recognises as a database outage is the outage's to log (once
        for the whole service); only other failures get a line of their own here.
        """
        self._monotonic = monotonic
        self._outages: Outages = outages or NoOutages()
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        accepted = inspect.signature(asyncpg.connect).parameters
        self._connect_args = args
        self._connect_kwargs = {k: v for k, v in kwargs.items() if k in accepted}
        self._check_seconds = check_seconds
        self._fanout = Fanout()
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._closed = False
        self.connections = 0

    def listen(self, channel: str, key: str | None, listener: Listener) -> Callable[[], None]:
        self._start()
        return self._fanout.listen(channel, key, listener)

    def notify(self, channel: str, key: str, data: str | None = None) -> None:
        self._fanout.notify(channel, key, data)

    # ``connections``: how many times the listening connection was opened (a reconnect adds one).

    @property
    def listening(self) -> bool:
        """Whether the listening connection is up right now."""
        return self._listening.is_set()

    def _start(self) -> None:
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="wakeups-listener")

    async def close(self) -> None:
        """Stop listening and close the connection."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        delay = FIRST_RETRY_SECONDS
        down_since: float | None = None  # set while we cannot listen
        dropped = False  # the last connection died: reconnect at once, it may be just that connection
        while True:
            try:
                conn = await self._connect()
            except Exception as error:  # whatever keeps us from listening, we try again later
                if down_since is None:
                    down_since = self._monotonic()
                    if not self._outages.absorbs(error):
                        logger.warning("wake-ups: cannot listen on PostgreSQL (%s); waiters fall back to their "
                                       "safety net until it is back", error.__class__.__name__)
                dropped = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, LONGEST_RETRY_SECONDS)
                continue
            connected_at = self._monotonic()
            try:
                if down_since is not None:
                    logger.info("wake-ups: listening again after %.1f s", self._monotonic() - down_since)
                elif dropped:
                    logger.info("wake-ups: the listening connection dropped; listening again at once")
                down_since, dropped = None, False
                self.connections += 1
                self._listening.set()
                # Announcements made while nobody listened (before the first connection too: waiters
                # that began meanwhile) are lost: everyone looks again.
                self._fanout.wake_all()
                await self._hold(conn)
            except Exception:  # the connection died, however it says so: listen again
                # Said only once reconnecting shows whether the database is away (the outage's line) or only
                # this connection was lost (one line above when it is back).
                dropped = True
            finally:
                self._listening.clear()
                with contextlib.suppress(Exception):
                    conn.terminate()
            if self._monotonic() - connected_at < STEADY_SECONDS:
                # It keeps dropping as soon as it is up: back off rather than reconnect in a tight loop.
                await asyncio.sleep(delay)
                delay = min(delay * 2, LONGEST_RETRY_SECONDS)
            else:
                delay = FIRST_RETRY_SECONDS

    async def _connect(self) -> Any:
        conn = await asyncpg.connect(*self._connect_args, **{
            **self._connect_kwargs,
            "server_settings": {**self._connect_kwargs.get("server_settings", {}),
                                "application_name": APPLICATION_NAME},
        })
        try:
            for channel in CHANNELS:
                await conn.add_listener(pg_channel(channel), self._received)
        except BaseException:
            conn.terminate()
            raise
        return conn

    async def _hold(self, conn: Any) -> None:
        """Until the connection dies: notifications arrive through ``_received`` meanwhile."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        while not conn.is_closed():
            # Not ``asyncio.wait_for``, which on Python 3.11 can swallow a cancel that arrives as ``lost`` is set.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._check_seconds):
                    await lost.wait()
            if lost.is_set() or conn.is_closed():
                break
            await conn.fetchval("SELECT 1", timeout=self._check_seconds)
        raise ConnectionResetError("the listening connection closed")

    def _received(self, _conn: Any, _pid: int, channel: str, text_: str) -> None:
        key, data = parse_payload(text_)
        self._fanout.notify(channel.removeprefix(PREFIX), key, data)


def wakeups_for(engine: AsyncEngine, monotonic: Monotonic, outages: Outages | None = None) -> PgWakeups | LocalWakeups:
    """The process's ``Wakeups``: listening on PostgreSQL, in-process on SQLite."""
    return PgWakeups(engine, monotonic, outages=outages) if engine.dialect.name == "postgresql" else LocalWakeups()


class Announcer:
    """How a store announces its writes: inside the transaction on PostgreSQL, after it on SQLite."""

    def __init__(self, engine: AsyncEngine, wakeups: Wakeups | None) -> None:
        """``wakeups`` receives SQLite's in-process announcements (None: nobody in this process waits)."""
        self.postgres = engine.dialect.name == "postgresql"
        self._wakeups = wakeups

    async def within(self, conn: AsyncConnection, channel: str, key: str, data: str | None = None) -> None:
        """On PostgreSQL, announce in ``conn``'s transaction: it is delivered at commit, or never."""
        if self.postgres:
            await conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                               {"channel": pg_channel(channel), "payload": payload(key, data)})

    def sql(self, channel: str, key_sql: str, data_sql: str | None = None) -> str:
        """A SQL expression announcing on PostgreSQL, for a statement that cannot take another round trip.

        ``key_sql``/``data_sql`` are SQL text expressions; the caller puts this where it is evaluated
        exactly when the write happens (a ``RETURNING`` list, say).
        """
        message = key_sql if data_sql is None else f"{key_sql} || ' ' || {data_sql}"
        return f"pg_notify('{pg_channel(channel)}', {message})"

    def after(self, channel: str, key: str, data: str | None = None) -> None:
        """On SQLite, wake this process's waiters once the write has committed."""
        if not self.postgres and self._wakeups is not None:
            self._wakeups.notify(channel, key, data)
