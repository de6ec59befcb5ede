"""Building the async engine for SQLite or PostgreSQL."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

logger = logging.getLogger(__name__)


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
