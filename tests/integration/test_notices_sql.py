"""Notices on real databases: stored with the events that cause them, claimed once, settled with their messages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.chat import Person, Reply, Room
from core.delivery import Outgoing
from core.rotation import ConcurrencyConflict, Notice, ShowSettings
from core.rotation.events import ShowOpened, SingerJoined
from karaoke.bootstrap import Container
from storage.notices import SqlNoticeStore
from storage.tables import notices, outbox

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
SHOW = "00000000-0000-0000-0000-0000000000a1"


def notice(kind: str, request: str = "r1", due: datetime = NOW, status: str = "pending") -> Notice:
    key = f"{SHOW}:{'-' if kind == 'scan' else request}:{kind}:0"
    # As the planner makes them: the show's scan row is its timer, moved rather than added.
    return Notice(key, SHOW, None if kind == "scan" else request, kind, due, status, reschedules=kind == "scan")


async def opened_show(container: Container) -> None:
    await container.shows.append(SHOW, 0, [ShowOpened(SHOW, "Night", "NOTIC", ShowSettings(), NOW, NOW)], "open")


async def rows(container: Container) -> dict[str, tuple[str, datetime]]:
    async with container.engine.connect() as conn:
        found = (await conn.execute(select(notices.c.key, notices.c.status, notices.c.due_at))).all()
    return {r.key.split(":")[2]: (r.status, r.due_at) for r in found}


async def test_notices_are_stored_with_their_events_and_never_without_them(container: Container) -> None:
    await opened_show(container)
    joined = [SingerJoined("s1", "Ann", "telegram", "1", NOW)]
    await container.shows.append(SHOW, 1, joined, "join", [notice("up"), notice("heads_up", status="suppressed")])
    assert await rows(container) == {"up": ("pending", NOW), "heads_up": ("suppressed", NOW)}
    with pytest.raises(ConcurrencyConflict):  # a stale version: neither the events nor the notices land
        await container.shows.append(SHOW, 1, joined, "join-again", [notice("next")])
    assert "next" not in await rows(container)
    # A key already taken stays as it was; only the show's scan row moves.
    later = NOW + timedelta(minutes=5)
    await container.shows.append(SHOW, 2, joined, "join-3", [notice("up", due=later), notice("scan", due=NOW)])
    await container.shows.append(SHOW, 3, joined, "join-4", [notice("scan", due=later)])
    found = await rows(container)
    assert found["up"] == ("pending", NOW) and found["scan"] == ("pending", later)
    assert container.shows.notices_due.is_set()


async def test_due_notices_are_claimed_under_a_lease_and_settled_with_their_messages(container: Container) -> None:
    await opened_show(container)
    store = SqlNoticeStore(container.engine)
    await store.add([notice("up"), notice("next", due=NOW + timedelta(minutes=1))], NOW)
    claimed = await store.claim_due(NOW, 10)
    assert [c.kind for c in claimed] == ["up"] and claimed[0].attempts == 1
    assert await store.claim_due(NOW, 10) == []  # leased
    person = Person("telegram", "1", "Ann")
    message = Outgoing(f"notice:{claimed[0].key}", "telegram", Reply(Room("telegram", "1", True), person, "Up!"))
    follow = notice("scan", due=NOW + timedelta(minutes=2))
    await store.settle(claimed[0].notice_id, "sent", [message], [follow], NOW)
    await store.settle(claimed[0].notice_id, "dropped", [message], [], NOW)  # a late second ticker changes nothing
    found = await rows(container)
    assert found["up"][0] == "sent" and found["scan"][0] == "pending"
    async with container.engine.connect() as conn:
        assert (await conn.execute(select(outbox.c.key))).scalars().all() == [message.key]
    # The lease runs out: a notice whose ticker died is claimed again.
    again = await store.claim_due(NOW + timedelta(minutes=1, seconds=1), 10)
    assert [c.kind for c in again] == ["next"]
    assert [c.kind for c in await store.claim_due(NOW + timedelta(minutes=3), 10)] == ["next", "scan"]


async def test_on_my_way_settles_the_pending_no_show_check(container: Container) -> None:
    await opened_show(container)
    store = SqlNoticeStore(container.engine)
    await store.add([notice("no_show", due=NOW + timedelta(minutes=3))], NOW)
    assert await store.confirm(SHOW, "r1", NOW) is True
    assert await store.confirm(SHOW, "r1", NOW) is False
    assert (await rows(container))["no_show"][0] == "confirmed"
    assert await store.claim_due(NOW + timedelta(hours=1), 10) == []


async def test_messages_that_failed_for_good_are_listed_by_prefix(container: Container) -> None:
    store = SqlNoticeStore(container.engine)
    person = Person("telegram", "1", "Ann")
    reply = Reply(Room("telegram", "1", True), person, "hi")
    await container.outbox.enqueue([Outgoing("notice:a", "telegram", reply, {"notice": "k"}),
                                    Outgoing("telegram:u1:0", "telegram", reply)], NOW)
    for item in await container.outbox.claim("telegram", 10, NOW):
        await container.outbox.failed(item.item_id, "Forbidden: bot was blocked by the user", NOW)
    failed = await store.failed_messages("notice:", NOW - timedelta(minutes=1))
    assert [(f.key, dict(f.context), f.reason) for f in failed] == [
        ("notice:a", {"notice": "k"}, "Forbidden: bot was blocked by the user")]


async def test_concurrent_tickers_never_claim_the_same_notice(container: Container) -> None:
    await opened_show(container)
    stores = [SqlNoticeStore(container.engine) for _ in range(4)]
    await stores[0].add([notice("up", request=f"r{n}") for n in range(60)], NOW)
    batches = await asyncio.gather(*(s.claim_due(NOW, 10) for s in stores for _ in range(3)))
    keys = [c.key for batch in batches for c in batch]
    assert len(keys) == 60 and len(set(keys)) == 60


async def test_a_no_show_check_answered_while_claimed_prompts_nobody(container: Container) -> None:
    await opened_show(container)
    store = SqlNoticeStore(container.engine)
    await store.add([notice("no_show")], NOW)
    (claimed,) = await store.claim_due(NOW, 10)
    assert await store.confirm(SHOW, "r1", NOW) is True  # "On my way" lands while the ticker works
    kj = Person("telegram", "9", "Kim")
    prompt = Outgoing(f"notice:{claimed.key}:kj:telegram:9", "telegram", Reply(Room("telegram", "9", True), kj, "?"))
    await store.settle(claimed.notice_id, "sent", [prompt], [], NOW)
    assert (await rows(container))["no_show"][0] == "confirmed"
    async with container.engine.connect() as conn:
        assert (await conn.execute(select(outbox.c.key))).scalars().all() == []
