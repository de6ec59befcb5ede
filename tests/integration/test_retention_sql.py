"""The retention sweep on real databases: a show closed longer ago than the retention loses everything
transient (reminders, buttons, KJ roles, bindings); delivery records go that long after they were done;
history and everything recent stays. Several instances sweeping at once remove each row once."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.chat import Choice, Person, Reply, Room, Said
from core.delivery import Outgoing
from core.privacy import RetentionSweeper
from core.rotation import CloseShow, RotationService, ShowStarted, SingerRef, SongRef
from core.rotation.ports import Notice
from karaoke.bootstrap import AsyncioSleeper, Container, Uuid4Ids
from storage.db import create_engine
from storage.delivery import SqlInbox, SqlOutbox
from storage.idempotency import SqlIdempotencyKeys
from storage.retention import SqlRetention
from storage.sessions import SqlAdminSessions
from storage.tables import (
    admin_sessions,
    chat_choices,
    chat_kjs,
    chat_people,
    chat_rooms,
    idempotency_keys,
    inbox,
    notices,
    outbox,
    show_events,
    shows,
)
from storage.web_joins import SqlWebJoins
from tests.unit.fakes import FakeClock

NOW = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ANN = Person("telegram", "1", "Ann", "ann")


async def _a_show(container: Container, clock: FakeClock, name: str, opened: timedelta,
                  closed: timedelta | None) -> str:
    """A show opened ``opened`` before NOW (closed ``closed`` before NOW), with one of everything transient."""
    rotation = RotationService(container.shows, clock, Uuid4Ids(), random.Random(1), AsyncioSleeper())
    clock.moment = NOW - opened
    started: ShowStarted = await rotation.open_show(f"open-{name}", name)
    show_id = started.show_id
    await rotation.request_song(show_id, f"req-{name}", SingerRef("telegram", "1", "Ann"),
                                SongRef(f"song-{name}", "Dreams", "Fleetwood Mac", 240))
    directory = container.directory
    await directory.add_kj(show_id, Person("telegram", f"kj-{name}", "Kay"))
    await directory.bind_room(Room("telegram", f"room-{name}", False), show_id)
    # Choices live two hours from when they were made.
    await directory.save_choices([Choice(f"tok-{name}", "telegram", "1", show_id, "request", "s",
                                         clock.moment + 2 * 3600 * timedelta(seconds=1))])
    await container.notices.add([Notice(f"n-{name}", show_id, None, "next", clock.moment)], clock.moment)
    assert await SqlIdempotencyKeys(container.engine, clock).claim(f"key-{name}", "f" * 64, show_id=show_id)
    if closed is not None:
        clock.moment = NOW - closed
        await rotation.execute(show_id, CloseShow(f"close-{name}"))
    return show_id


async def _count(container: Container, table: object, *where: object) -> int:
    async with container.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())  # type: ignore[arg-type]


async def _delivery(container: Container, clock: FakeClock, key: str, ago: timedelta, *, done: bool) -> None:
    clock.moment = NOW - ago
    box = SqlInbox(container.engine, clock)
    await box.put(Said(ANN, Room("telegram", "1", True), "/queue", key))
    if done:
        [item] = [i for i in await box.claim(10, clock.moment) if i.event.update_key == key]
        await box.finish(item.item_id, [Outgoing(f"out-{key}", "telegram", Reply(None, ANN, "hi"))], clock.moment)
        [sent] = [i for i in await SqlOutbox(container.engine).claim("telegram", 10, clock.moment)
                  if i.key == f"out-{key}"]
        await SqlOutbox(container.engine).delivered(sent.item_id, clock.moment)
    else:
        await SqlOutbox(container.engine).enqueue([Outgoing(f"out-{key}", "telegram", Reply(None, ANN, "x"))],
                                                  clock.moment)


async def test_a_show_closed_longer_ago_than_the_retention_keeps_only_its_history(
        container: Container, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(NOW)
    old = await _a_show(container, clock, "old", opened=45 * DAY, closed=40 * DAY)
    recent = await _a_show(container, clock, "recent", opened=12 * DAY, closed=10 * DAY)
    running = await _a_show(container, clock, "running", opened=DAY, closed=None)
    await container.directory.set_current_show(ANN, old)
    await _delivery(container, clock, "old-done", 35 * DAY, done=True)
    await _delivery(container, clock, "old-undone", 35 * DAY, done=False)
    await _delivery(container, clock, "new-done", 2 * DAY, done=True)
    old_events = await _count(container, show_events, show_events.c.show_id == old)
    clock.moment = NOW - 40 * DAY
    sessions = SqlAdminSessions(container.engine, clock, lambda: "stale-session", timedelta(hours=12))
    stale_session = await sessions.start()
    assert await SqlIdempotencyKeys(container.engine, clock).claim("key-of-no-show", "e" * 64)

    # Where web singers joined from: needed only while their show is open, so a closed show's go now.
    joins = SqlWebJoins(container.engine)
    for show_id, name in ((old, "old"), (recent, "recent"), (running, "running")):
        assert await joins.record(f"session-of-{name}-show", show_id, "k" * 43, NOW - DAY, None)

    clock.moment = NOW
    sweeper = RetentionSweeper(SqlRetention(container.engine), clock, timedelta(days=30))
    with caplog.at_level(logging.INFO, "core.privacy.retention"):
        counts = await sweeper.sweep()

    # The old show's own rows; the old show's choice (long expired) counted once.
    assert counts == {"notices": 1, "choices": 1, "kj roles": 1, "room bindings": 1, "inbox": 1, "outbox": 1,
                      "idempotency keys": 2, "dashboard sessions": 1, "web joins": 2}
    [line] = [r for r in caplog.records if r.name == "core.privacy.retention"]
    assert line.levelno == logging.INFO and "1 notices" in line.getMessage() and "1 inbox" in line.getMessage()
    for table, column in ((notices, notices.c.show_id), (chat_choices, chat_choices.c.show_id),
                          (chat_kjs, chat_kjs.c.show_id), (chat_rooms, chat_rooms.c.show_id)):
        assert await _count(container, table, column == old) == 0
        assert await _count(container, table, column == recent) == 1
        assert await _count(container, table, column == running) == 1
    assert await _count(container, chat_people, chat_people.c.current_show.is_not(None)) == 0
    assert await _count(container, idempotency_keys) == 2, "the recent and the running show's keys stay"
    assert await _count(container, admin_sessions) == 0
    assert await joins.joined_from(running, "k" * 43, ["session-of-running-show"])
    assert not await joins.joined_from(recent, "k" * 43, ["session-of-recent-show"])
    assert not await SqlAdminSessions(container.engine, clock, lambda: "x", timedelta(hours=12)).is_open(stale_session)
    assert await _count(container, inbox) == 2, "the recent handled update and the unhandled one stay"
    assert await _count(container, outbox) == 2, "the recent sent message and the unsent one stay"
    # History stays: the show and every event of it.
    assert await _count(container, shows) == 3
    assert await _count(container, show_events, show_events.c.show_id == old) == old_events
    assert (await container.rotation.state(old)).closed

    again = await sweeper.sweep()
    assert sum(again.values()) == 0


async def test_several_instances_sweeping_at_once_remove_each_row_once(container: Container, db_url: str) -> None:
    clock = FakeClock(NOW)
    for n in range(5):
        await _a_show(container, clock, f"old{n}", opened=45 * DAY, closed=40 * DAY)
    clock.moment = NOW
    engines = [create_engine(db_url) for _ in range(3)]
    try:
        sweepers = [RetentionSweeper(SqlRetention(engine), clock, timedelta(days=30)) for engine in engines]
        results = await asyncio.gather(*(s.sweep() for s in sweepers))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(r["notices"] for r in results) == 5
    assert sum(r["kj roles"] for r in results) == 5
    assert await _count(container, notices) == 0
