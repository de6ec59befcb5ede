"""Migrations on SQLite and PostgreSQL: the schema at head is the one the code declares, and data moves up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Integer, String, Uuid, column, insert, select, table
from sqlalchemy.engine import Connection, make_url

from core.rotation import Event, ShowSettings, event_to_dict
from core.rotation.events import ShowOpened, ShowSettingsChanged
from storage import migrate
from storage.db import create_engine
from storage.people import SqlPeopleStore
from storage.shows import SqlShowStore
from storage.tables import UtcDateTime, chat_people, metadata, notices, show_events
from tests.conftest import run_outside_transactions

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
# The shows table as revision 0004 had it: no settings column yet.
SHOWS_AT_0004 = table(
    "shows", column("show_id", Uuid(as_uuid=False)), column("code", String), column("name", String),
    column("status", String), column("version", Integer), column("created_at", UtcDateTime),
)
SHOW = "00000000-0000-0000-0000-00000000e001"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    server_url: str = request.getfixturevalue("pg_url")
    name = f"karaoke_migrate_{uuid.uuid4().hex[:8]}"
    asyncio.run(run_outside_transactions(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run_outside_transactions(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def test_the_migrated_schema_is_the_one_the_code_declares(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_shows_opened_before_settings_were_kept_beside_them_are_listed_with_their_latest(
    empty_url: str,
) -> None:
    engine = create_engine(empty_url)
    try:
        await migrate.upgrade(engine, "0004")
        opened = ShowOpened(SHOW, "Old night", "OLDNT", ShowSettings(max_pending=2), NOW, NOW)
        changed = ShowSettingsChanged(ShowSettings(max_pending=5, policy="fifo"), NOW + timedelta(minutes=1))
        async with engine.begin() as conn:
            await conn.execute(insert(SHOWS_AT_0004).values(
                show_id=SHOW, code="OLDNT", name="Old night", status="open", version=2, created_at=NOW,
            ))
            history: list[Event] = [opened, changed]
            for seq, event in enumerate(history, start=1):
                kind, payload = event_to_dict(event)
                await conn.execute(insert(show_events).values(
                    show_id=SHOW, seq=seq, type=kind, payload=payload, command_id=f"c{seq}",
                    occurred_at=event.occurred_at,
                ))
        await migrate.upgrade(engine)
        listed = (await SqlShowStore(engine).list_shows()).items
        assert [(s.name, s.version, s.settings) for s in listed] == [("Old night", 2, changed.settings)]
    finally:
        await engine.dispose()


async def test_shows_open_before_the_idle_timer_existed_get_one(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        await migrate.upgrade(engine, "0005")
        async with engine.begin() as conn:
            for n, status in enumerate(("open", "closed")):
                await conn.execute(insert(SHOWS_AT_0004).values(
                    show_id=f"00000000-0000-0000-0000-00000000e10{n}", code=f"IDLE{n}", name="Old", status=status,
                    version=1, created_at=NOW,
                ))
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(select(notices.c.key, notices.c.kind, notices.c.status, notices.c.due_at,
                                              notices.c.revision))).all()
        idle = ("00000000-0000-0000-0000-00000000e100:-:idle:0", "idle", "pending", NOW, 0)
        assert [tuple(r) for r in rows] == [idle], "the open show gets its timer, the closed one none"
    finally:
        await engine.dispose()


async def test_stage_names_and_muting_move_from_the_account_to_its_person(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        await migrate.upgrade(engine, "0008")
        async with engine.begin() as conn:
            await conn.execute(insert(chat_people), [
                {"platform": "telegram", "user_id": "1", "name": "Ann", "is_bot": False, "stage_name": "Queen Ann",
                 "muted": False},
                {"platform": "slack", "user_id": "U2", "name": "Bob", "is_bot": False, "stage_name": None,
                 "muted": True},
                {"platform": "telegram", "user_id": "3", "name": "Cat", "is_bot": False, "stage_name": None,
                 "muted": False},
            ])
        await migrate.upgrade(engine)
        people = SqlPeopleStore(engine)
        ann, bob = await people.find("telegram", "1"), await people.find("slack", "U2")
        assert ann is not None and ann.name == "Queen Ann" and not ann.muted
        assert bob is not None and bob.name is None and bob.muted
        assert await people.find("telegram", "3") is None, "nothing to move: a person when next seen"
    finally:
        await engine.dispose()
