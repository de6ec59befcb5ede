"""Building the async engine for SQLite or PostgreSQL, and telling a database outage from other failures."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10.0
# SQLSTATEs of a server that is gone or refusing: connection exceptions (class 08), an administrator's or a
# crash's shutdown, "cannot connect now" (starting up, shutting down), too many connections.
_OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite's transient failures; its other OperationalErrors (no such table, a syntax error) are bugs, not outages.
_SQLITE_OUTAGE_WORDS = ("locked", "busy", "unable to open", "disk i/o")


def normalise_url(raw: str) -> str:
    """Accept the URL forms operators paste (``postgres://``, ``sslmode=``) and return an async one.

    Fly.io and Heroku hand out ``postgres://…?sslmode=disable``; asyncpg wants
    ``postgresql+asyncpg://…`` and spells the option ``ssl``.
    """
    url = make_url(raw)
    driver = url.drivername
    if driver in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        url = url.set(drivername="postgresql+asyncpg")
    elif driver == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    if url.drivername == "postgresql+asyncpg" and "sslmode" in url.query:
        query = dict(url.query)
        query["ssl"] = query.pop("sslmode")
        url = url.set(query=query)
    return url.render_as_string(hide_password=False)


def is_sqlite(url: str | URL) -> bool:
    """Whether the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for ``url``. On SQLite: WAL, foreign keys, and a busy timeout for writers."""
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        # No pre-ping: it doubles the round trips of every checkout. Connections are recycled instead,
        # and a connection that died anyway fails one statement, which callers retry or report.
        kwargs.update(pool_size=10, max_overflow=10, pool_recycle=300)
        # asyncpg waits 60 s for a connection by default; an unreachable server should answer 503 sooner.
        kwargs["connect_args"] = {"timeout": CONNECT_TIMEOUT_SECONDS}
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it wraps: causes, contexts, a DBAPI error's original, a group's members."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        orig = getattr(current, "orig", None)
        for inner in (current.__cause__, current.__context__, orig):
            if isinstance(inner, BaseException):
                pending.append(inner)


def _is_outage_itself(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.OperationalError):
        if isinstance(error.orig, sqlite3.Error):
            return any(word in str(error.orig).lower() for word in _SQLITE_OUTAGE_WORDS)
        return True
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(error, ConnectionError | socket.gaierror | TimeoutError):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_OUTAGE_SQLSTATES):
        return True
    # asyncpg's own words for a connection that is gone under it.
    return type(error).__module__.startswith("asyncpg") and "connection is closed" in str(error)


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached now (refused, dropped, shutting down, overloaded),
    as opposed to a bug or a bad statement. Recognised by the driver's and SQLAlchemy's exception types."""
    return any(_is_outage_itself(e) for e in _causes(error))


def describe(error: BaseException) -> str:
    """One short line about an error: its type and first line, never a traceback."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first[:200]}" if first else type(error).__name__


class DatabaseOutages:
    """Recognises database outages for every part of the service and logs each outage twice only: a
    warning when the first failure shows it, and a line when the database answers again.

    Once an outage is noted, a probe asks the database ``SELECT 1`` every ``probe_seconds`` until it
    answers; the parts themselves just retry as they always do.
    """

    def __init__(
        self, engine: AsyncEngine, *, monotonic: Callable[[], float], probe_seconds: float = 1.0
    ) -> None:
        self._engine = engine
        self._monotonic = monotonic
        self.probe_seconds = probe_seconds
        self._since: float | None = None
        self._probe: asyncio.Task[None] | None = None

    @property
    def down(self) -> bool:
        """Whether an outage is going on (noted, and the database has not answered since)."""
        return self._since is not None

    def absorbs(self, error: BaseException) -> bool:
        """Whether ``error`` comes from a database outage; the first one of an outage is logged."""
        if not is_outage(error):
            return False
        if self._since is None:
            self._since = self._monotonic()
            logger.warning("the database is unreachable (%s); the API answers 503 and background work waits "
                           "until it is back", describe(error))
        if self._probe is None or self._probe.done():
            with contextlib.suppress(RuntimeError):  # no running loop: the next failure inside one starts it
                self._probe = asyncio.get_running_loop().create_task(self._until_back(), name="database-probe")
        return True

    async def _until_back(self) -> None:
        while True:
            await asyncio.sleep(self.probe_seconds)
            try:
                async with self._engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            except Exception as error:
                if not is_outage(error):
                    logger.warning("probing the database failed: %s", describe(error))
                continue
            break
        since, self._since = self._since, None
        lasted = self._monotonic() - since if since is not None else 0.0
        logger.warning("the database answers again, after %.1f s", lasted)

    async def close(self) -> None:
        """Stop probing (at shutdown)."""
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probe
