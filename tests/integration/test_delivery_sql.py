"""Inbox and outbox on SQLite and PostgreSQL: stored once, leased, handed out once, never lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.chat import Person, Reply, Room, Said
from core.delivery import Outgoing
from karaoke.bootstrap import Container
from storage.delivery import SqlInbox, SqlOutbox

ANN = Person("telegram", "1", "Ann", "ann")
GROUP = Room("telegram", "-100", private=False)
NOW = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)


def said(key: str, text: str = "/queue") -> Said:
    return Said(ANN, GROUP, text, key)


async def test_an_update_is_stored_once_however_often_it_arrives(container: Container) -> None:
    inbox = SqlInbox(container.engine)
    assert await inbox.put(said("u1"), {"response_url": "http://x"}) is True
    assert await inbox.put(said("u1")) is False
    assert await inbox.put(Said(ANN, Room("slack", "C1", False), "/queue", "u1")) is True, "keys are per platform"
    claimed = await inbox.claim(10, datetime.now(UTC))
    assert [i.event.update_key for i in claimed] == ["u1", "u1"]
    assert claimed[0].event == said("u1") and claimed[0].context == {"response_url": "http://x"}


async def test_a_claimed_update_comes_back_when_its_holder_dies(container: Container) -> None:
    inbox = SqlInbox(container.engine)
    await inbox.put(said("u1"))
    now = datetime.now(UTC)
    assert len(await inbox.claim(10, now, lease_seconds=30)) == 1
    assert await inbox.claim(10, now + timedelta(seconds=5)) == [], "leased to the first worker"
    again = await inbox.claim(10, now + timedelta(seconds=31))
    assert len(again) == 1 and again[0].attempts == 2
    await inbox.finish(again[0].item_id, [], now)
    assert await inbox.claim(10, now + timedelta(hours=1)) == []


async def test_finishing_queues_replies_once_even_if_the_update_is_handled_twice(container: Container) -> None:
    inbox, outbox = SqlInbox(container.engine), SqlOutbox(container.engine)
    await inbox.put(said("u1"))
    item = (await inbox.claim(1, NOW))[0]
    replies = [Outgoing("telegram:u1:0", "telegram", Reply(GROUP, ANN, "Queued!")),
               Outgoing("telegram:u1:1", "telegram", Reply(None, ANN, "You're next"))]
    await inbox.finish(item.item_id, replies, NOW)
    await inbox.finish(item.item_id, replies, NOW)
    queued = await outbox.claim("telegram", 10, NOW)
    assert [(q.key, q.chat, q.group, q.reply.text) for q in queued] == [
        ("telegram:u1:0", "room:-100", True, "Queued!"), ("telegram:u1:1", "private:1", False, "You're next")]
    assert await outbox.claim("slack", 10, NOW) == []


async def test_sent_failed_and_retried_replies(container: Container) -> None:
    outbox = SqlOutbox(container.engine)
    await outbox.enqueue([Outgoing(f"k{n}", "telegram", Reply(GROUP, ANN, f"m{n}")) for n in range(3)], NOW)
    first, second, third = await outbox.claim("telegram", 10, NOW)
    await outbox.delivered(first.item_id, NOW)
    await outbox.failed(second.item_id, "Forbidden: bot was blocked by the user", NOW)
    await outbox.retry(third.item_id, NOW + timedelta(seconds=30), "429")
    assert await outbox.claim("telegram", 10, NOW + timedelta(seconds=29)) == []
    later = await outbox.claim("telegram", 10, NOW + timedelta(seconds=30))
    assert [(i.key, i.attempts) for i in later] == [("k2", 2)]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_two_instances_claiming_at_once_never_get_the_same_reply(container: Container) -> None:
    writer = SqlOutbox(container.engine)
    await writer.enqueue([Outgoing(f"k{n}", "telegram", Reply(GROUP, ANN, f"m{n}")) for n in range(200)], NOW)
    instances = [SqlOutbox(container.engine) for _ in range(4)]

    async def drain(outbox: SqlOutbox) -> list[str]:
        mine: list[str] = []
        while batch := await outbox.claim("telegram", 7, NOW):
            mine += [i.key for i in batch]
            await asyncio.sleep(0)
        return mine

    claimed = await asyncio.gather(*(drain(o) for o in instances))
    everything = [key for keys in claimed for key in keys]
    assert sorted(everything) == sorted(f"k{n}" for n in range(200))
    assert len(set(everything)) == 200
