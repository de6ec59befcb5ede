"""Every store's contract runs three times: on its hand-written fake, on SQLite and on PostgreSQL.

A fake the unit tests lean on is only as good as its likeness to the real store; these tests hold
both to the same promises, so a unit test that passes on a fake means the same on a database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.catalog import SongStore
from core.catalog.search import CatalogFeed
from core.chat import ChatDirectory
from core.delivery import Inbox, Outbox
from core.reminders import NoticeStore
from core.rotation import ShowStore
from storage.chat_directory import SqlChatDirectory
from storage.db import create_engine
from storage.delivery import SqlInbox, SqlOutbox
from storage.notices import SqlNoticeStore
from storage.shows import SqlShowStore
from storage.songs import SqlSongStore
from tests.conftest import fresh_database
from tests.unit.chat.fakes import InMemoryChatDirectory
from tests.unit.fakes import FakeClock, InMemoryInbox, InMemoryOutbox, InMemorySongStore
from tests.unit.reminders.fakes import InMemoryNoticeStore
from tests.unit.rotation.fakes import InMemoryShowStore

NOW = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None for the fakes, else the URL of a migrated, empty database."""
    return None if request.param == "fake" else fresh_database(request, request.param, tmp_path)


async def _engine_on(backend_url: str | None) -> AsyncIterator[AsyncEngine | None]:
    if backend_url is None:
        yield None
        return
    engine = create_engine(backend_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def engine(backend_url: str | None) -> AsyncIterator[AsyncEngine | None]:
    """None for the fakes, else an engine on the test's database."""
    async for made in _engine_on(backend_url):
        yield made


@pytest.fixture
async def other_engine(backend_url: str | None) -> AsyncIterator[AsyncEngine | None]:
    """A second engine on the same database: what another instance of the service would have."""
    async for made in _engine_on(backend_url):
        yield made


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


class Catalog(SongStore, CatalogFeed, Protocol):
    """The catalog's store as search reads it too: what ``SqlSongStore`` and its fake both are."""


# Each fixture is typed by its port, so mypy holds the fake and the SQL store to it as well.


@pytest.fixture
def songs(engine: AsyncEngine | None, clock: FakeClock) -> Catalog:
    return InMemorySongStore() if engine is None else SqlSongStore(engine, clock)


@pytest.fixture
def shows(engine: AsyncEngine | None) -> ShowStore:
    return InMemoryShowStore() if engine is None else SqlShowStore(engine)


@pytest.fixture
def outbox(engine: AsyncEngine | None) -> Outbox:
    return InMemoryOutbox() if engine is None else SqlOutbox(engine)


@pytest.fixture
def inbox(engine: AsyncEngine | None, clock: FakeClock, outbox: Outbox) -> Inbox:
    if engine is None:
        assert isinstance(outbox, InMemoryOutbox)
        return InMemoryInbox(clock, outbox)
    return SqlInbox(engine, clock)


@pytest.fixture
def notices(engine: AsyncEngine | None, shows: ShowStore, outbox: Outbox) -> NoticeStore:
    if engine is None:
        assert isinstance(shows, InMemoryShowStore) and isinstance(outbox, InMemoryOutbox)
        return InMemoryNoticeStore(shows, outbox)
    return SqlNoticeStore(engine)


@pytest.fixture
def directory(engine: AsyncEngine | None) -> ChatDirectory:
    return InMemoryChatDirectory() if engine is None else SqlChatDirectory(engine)
