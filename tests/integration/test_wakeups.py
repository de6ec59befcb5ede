"""Push between instances: a write announced through PostgreSQL (or in-process on SQLite) wakes
live streams and workers at once, and nothing waiting reads the database meanwhile.

The safety net is set far longer than each test waits, so only the announcement can explain what
arrives; the quiet windows count every statement the waiting instance sends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from core.chat import Person, Reply, Room, Said
from core.delivery import Delivered, OutboxItem, Outgoing, SendOutcome
from core.reminders.plan import SCAN
from core.rotation import Notice
from karaoke.bootstrap import Container, background, build
from storage.notify import APPLICATION_NAME, PgWakeups
from tests.api.test_stream import SHOWS, following
from tests.conftest import ADMIN_TOKEN, settings_for

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SAFETY_NET = 30.0
QUIET = 1.5
POSTGRES = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class Statements:
    """Counts the statements an engine sends."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.seen.append(statement)


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[Statements]:
    statements = Statements()
    event.listen(engine.sync_engine, "before_cursor_execute", statements)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", statements)


@asynccontextmanager
async def instances(db_url: str, count: int) -> AsyncIterator[list[Container]]:
    settings = settings_for(db_url, safety_net_seconds=SAFETY_NET)
    async with build(settings, upgrade=False) as first:
        if count == 1:
            yield [first]
            return
        async with build(settings, upgrade=False) as second:
            yield [first, second]


@asynccontextmanager
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def open_show(http: httpx.AsyncClient) -> dict[str, Any]:
    """A show with two singers waiting: advancing it changes who sings."""
    opened = (await http.post(SHOWS, json={"name": "Push Night"}, headers=ADMIN)).json()
    for singer in ("Ana", "Ben"):
        song = (await http.post("/api/v1/songs", json={"title": f"Song of {singer}", "artist": "X"},
                                headers=ADMIN)).json()
        body = {"singer": {"name": singer}, "song_id": song["song_id"]}
        answer = await http.post(f"{SHOWS}/{opened['show_id']}/requests", json=body, headers=ADMIN)
        assert answer.status_code == 201, answer.text
    state: dict[str, Any] = (await http.get(f"{SHOWS}/{opened['show_id']}")).json()
    return state


async def listening(container: Container, connections: int = 1, within: float = 10.0) -> None:
    """Until ``container`` listens on its ``connections``-th connection."""
    wakeups = container.wakeups
    assert isinstance(wakeups, PgWakeups)
    deadline = time.monotonic() + within
    while not (wakeups.listening and wakeups.connections >= connections):
        assert time.monotonic() < deadline, f"not listening on connection {connections} after {within} s"
        await asyncio.sleep(0.02)


async def kill_listeners(container: Container) -> int:
    """Terminate every wake-up listener on the database (as an operator or a failover would)."""
    async with container.engine.connect() as conn:
        killed: int = (await conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = :name AND datname = current_database()"
        ), {"name": APPLICATION_NAME})).scalar_one()
    return killed


@POSTGRES
async def test_a_change_through_one_instance_reaches_a_screen_on_another_at_once(db_url: str) -> None:
    async with instances(db_url, 2) as (a, b), api(create_app(a)) as through_a:
        show = await open_show(through_a)
        async with following(create_app(b), show["show_id"]) as (_, screen):
            assert (await screen.next_event()).json() == {"version": show["version"]}
            await listening(b)
            with counting(b.engine) as reads:
                await asyncio.sleep(QUIET)
                assert reads.seen == [], "an open screen must cost no reads while nothing changes"
                started = time.monotonic()
                answer = await through_a.post(f"{SHOWS}/{show['show_id']}/advance", headers=ADMIN)
                assert answer.status_code == 200, answer.text
                changed = await screen.next_event(within=3.0)
                took = time.monotonic() - started
            assert changed.json() == {"version": answer.json()["version"]}
            assert took < 2.0, f"the change took {took:.2f} s (the safety net is {SAFETY_NET} s)"
            assert reads.seen == [], "the announcement carries the version: the screen reads nothing"


@POSTGRES
async def test_the_listener_reconnects_after_its_connection_is_killed(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with instances(db_url, 2) as (a, b), api(create_app(a)) as through_a:
        show = await open_show(through_a)
        async with following(create_app(b), show["show_id"]) as (_, screen):
            await screen.next_event()
            await listening(b)
            with caplog.at_level(logging.INFO, logger="storage.notify"):
                assert await kill_listeners(a) == 1, "one listening connection per instance, and only b listens"
                await listening(b, connections=2)
                answer = await through_a.post(f"{SHOWS}/{show['show_id']}/advance", headers=ADMIN)
                changed = await screen.next_event(within=3.0)
            assert changed.json() == {"version": answer.json()["version"]}
            # Only the connection was lost, not the database: one line when it listens again, no warning.
            said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "storage.notify"]
            assert said == [(logging.INFO, "wake-ups: the listening connection dropped; listening again at once")]
            assert "password" not in caplog.text.lower()


@POSTGRES
async def test_a_change_made_as_the_listener_drops_still_reaches_the_screen(db_url: str) -> None:
    async with instances(db_url, 2) as (a, b), api(create_app(a)) as through_a:
        show = await open_show(through_a)
        async with following(create_app(b), show["show_id"]) as (_, screen):
            await screen.next_event()
            await listening(b)
            assert await kill_listeners(a) == 1
            # Announced around the reconnect: if it is lost, b looks again once it listens again.
            answer = await through_a.post(f"{SHOWS}/{show['show_id']}/advance", headers=ADMIN)
            changed = await screen.next_event(within=5.0)
            assert changed.json() == {"version": answer.json()["version"]}


@POSTGRES
async def test_an_update_stored_by_one_instance_is_handled_by_anothers_idle_worker_at_once(db_url: str) -> None:
    async with instances(db_url, 2) as (a, b), background(b):
        await listening(b)
        await asyncio.sleep(0.3)  # the one look every waiter takes when the listener (re)connects
        with counting(b.engine) as reads:
            await asyncio.sleep(QUIET)
        assert [s for s in reads.seen if "inbox" in s] == [], "an idle worker does not poll the inbox"
        room = Room("telegram", "-100", private=False)
        await a.inbox.put(Said(Person("telegram", "1", "Ann", "ann"), room, "/queue", "u1"))
        started = time.monotonic()
        while await a.inbox.pending():
            assert time.monotonic() - started < 3.0, "the other instance did not handle the update"
            await asyncio.sleep(0.02)


@SQLITE
async def test_on_sqlite_a_change_wakes_the_screens_in_process_without_reads(db_url: str) -> None:
    async with instances(db_url, 1) as (only,):
        app = create_app(only)
        async with api(app) as http:
            show = await open_show(http)
            async with following(app, show["show_id"]) as (over_http, screen):
                await screen.next_event()
                with counting(only.engine) as reads:
                    await asyncio.sleep(QUIET)
                    assert reads.seen == [], "an open screen must cost no reads while nothing changes"
                    answer = await over_http.post(f"{SHOWS}/{show['show_id']}/advance", headers=ADMIN)
                    changed = await screen.next_event(within=2.0)
                assert changed.json() == {"version": answer.json()["version"]}
                assert not any("shows.version" in s and "SELECT" in s for s in reads.seen)


async def notice_status(container: Container, key: str) -> str:
    async with container.engine.connect() as conn:
        status: str = (await conn.execute(text("SELECT status FROM notices WHERE key = :key"),
                                          {"key": key})).scalar_one()
    return status


class NoSends:
    """A sender that is never asked (no message is queued here): it only makes ``background`` run the reminders."""

    platform = "telegram"

    async def send(self, item: OutboxItem) -> SendOutcome:
        raise AssertionError(f"nothing should be sent: {item.key}")


@POSTGRES
async def test_a_notice_due_at_once_stored_by_one_instance_is_settled_by_another_before_its_tick(
    db_url: str,
) -> None:
    settings = settings_for(db_url, safety_net_seconds=SAFETY_NET)
    async with build(settings, upgrade=False) as a, build(settings, upgrade=False) as b:
        async with api(create_app(a)) as through_a:
            show = await open_show(through_a)
        async with background(b, {"telegram": NoSends()}):
            await listening(b)
            await asyncio.sleep(0.3)  # the first tick and the look on connecting are behind us
            now = a.clock.now()
            key = f"{show['show_id']}:scan:test"
            await a.notices.add([Notice(key, show["show_id"], None, SCAN, now)], now)
            started = time.monotonic()
            while (status := await notice_status(a, key)) == "pending":
                assert time.monotonic() - started < 3.0, "the other instance did not settle the notice"
                await asyncio.sleep(0.05)
            assert status == "done"


class Recording:
    """A sender that takes everything and remembers when."""

    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.arrived = asyncio.Event()

    async def send(self, item: OutboxItem) -> SendOutcome:
        self.sent.append(item.key)
        self.arrived.set()
        return Delivered()


@POSTGRES
async def test_a_reply_queued_by_one_instance_is_sent_at_once_by_the_instance_holding_the_turn(db_url: str) -> None:
    settings = settings_for(db_url, safety_net_seconds=SAFETY_NET, outbox_poll_seconds=SAFETY_NET)
    sender = Recording()
    async with (
        build(settings, upgrade=False) as a,
        build(settings, upgrade=False) as b,
        background(b, {"telegram": sender}),
    ):
        await listening(b)
        await asyncio.sleep(0.3)  # b has taken the sending turn at its first look
        room = Room("telegram", "-100", private=False)
        await a.outbox.enqueue([Outgoing("push:1", "telegram", Reply(room, None, "hello"))], a.clock.now())
        await asyncio.wait_for(sender.arrived.wait(), 3.0)
        assert sender.sent == ["push:1"]


@POSTGRES
async def test_a_notice_due_later_is_settled_when_it_comes_due_and_nothing_polls_meanwhile(db_url: str) -> None:
    settings = settings_for(db_url, safety_net_seconds=SAFETY_NET)
    async with build(settings, upgrade=False) as a, build(settings, upgrade=False) as b:
        async with api(create_app(a)) as through_a:
            show = await open_show(through_a)
        async with background(b, {"telegram": NoSends()}):
            await listening(b)
            await asyncio.sleep(0.3)  # the first look is behind us
            with counting(b.engine) as reads:
                await asyncio.sleep(QUIET)
            assert [s for s in reads.seen if "notices" in s] == [], "nothing due: the reminders do not poll"
            due = a.clock.now() + timedelta(seconds=2)
            key = f"{show['show_id']}:scan:later"
            await a.notices.add([Notice(key, show["show_id"], None, SCAN, due)], a.clock.now())
            while (status := await notice_status(a, key)) == "pending":
                assert a.clock.now() < due + timedelta(seconds=1.5), "not settled when it came due"
                await asyncio.sleep(0.05)
            assert status == "done"
            assert a.clock.now() >= due, "settled before it was due"
