"""Inbox and outbox on SQLite and PostgreSQL: stored once, leased, handed out once, never lost."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from core.chat import Person, Reply, Room, Said
from core.delivery import Outgoing
from karaoke.bootstrap import Container
from storage.delivery import SqlInbox, SqlOutbox, SqlSendingTurn
from tests.unit.fakes import FakeClock

ANN = Person("telegram", "1", "Ann", "ann")
GROUP = Room("telegram", "-100", private=False)
NOW = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
CLOCK = FakeClock(NOW)


def said(key: str, text: str = "/queue") -> Said:
    return Said(ANN, GROUP, text, key)


async def test_an_update_is_stored_once_however_often_it_arrives(container: Container) -> None:
    inbox = SqlInbox(container.engine, CLOCK)
    assert await inbox.put(said("u1"), {"response_url": "http://x"}) is True
    assert await inbox.put(said("u1")) is False
    assert await inbox.put(Said(ANN, Room("slack", "C1", False), "/queue", "u1")) is True, "keys are per platform"
    claimed = await inbox.claim(10, NOW)
    assert [i.event.update_key for i in claimed] == ["u1", "u1"]
    assert claimed[0].event == said("u1") and claimed[0].context == {"response_url": "http://x"}


async def test_a_claimed_update_comes_back_when_its_holder_dies(container: Container) -> None:
    inbox = SqlInbox(container.engine, CLOCK)
    await inbox.put(said("u1"))
    now = NOW
    assert len(await inbox.claim(10, now, lease_seconds=30)) == 1
    assert await inbox.claim(10, now + timedelta(seconds=5)) == [], "leased to the first worker"
    again = await inbox.claim(10, now + timedelta(seconds=31))
    assert len(again) == 1 and again[0].attempts == 2
    await inbox.finish(again[0].item_id, [], now)
    assert await inbox.claim(10, now + timedelta(hours=1)) == []


async def test_finishing_queues_replies_once_even_if_the_update_is_handled_twice(container: Container) -> None:
    inbox, outbox = SqlInbox(container.engine, CLOCK), SqlOutbox(container.engine)
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


async def test_a_postponed_reply_comes_back_later_without_counting_a_try(container: Container) -> None:
    outbox = SqlOutbox(container.engine)
    await outbox.enqueue([Outgoing("k0", "telegram", Reply(GROUP, ANN, "m0"))], NOW)
    (claimed,) = await outbox.claim("telegram", 10, NOW)
    await outbox.postpone(claimed.item_id, NOW + timedelta(seconds=50))
    assert await outbox.claim("telegram", 10, NOW + timedelta(seconds=49)) == []
    (again,) = await outbox.claim("telegram", 10, NOW + timedelta(seconds=50))
    assert again.attempts == claimed.attempts == 1


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


async def test_a_batch_of_updates_is_stored_in_one_step_each_once(container: Container) -> None:
    inbox = SqlInbox(container.engine, CLOCK)
    assert await inbox.put(said("u2")) is True
    batch = [(said("u1"), {"callback_query_id": "q1"}), (said("u2"), {}), (said("u3"), {}), (said("u1"), {})]
    assert await inbox.put_many(batch) == [True, False, True, False], "stored before, or earlier in the batch"
    assert await inbox.put_many(batch) == [False] * 4, "the whole batch redelivered"
    assert await inbox.put_many([]) == []
    claimed = await inbox.claim(10, NOW)
    assert [i.event.update_key for i in claimed] == ["u2", "u1", "u3"]
    assert claimed[1].context == {"callback_query_id": "q1"}


async def test_a_batch_larger_than_one_statement_is_stored_whole(container: Container) -> None:
    inbox = SqlInbox(container.engine, CLOCK)
    flags = await inbox.put_many([(said(f"u{n}"), {}) for n in range(450)])
    assert flags == [True] * 450
    assert await inbox.pending() == 450


async def test_finishing_many_marks_them_all_handled_and_queues_every_reply_once(container: Container) -> None:
    inbox, outbox = SqlInbox(container.engine, CLOCK), SqlOutbox(container.engine)
    await inbox.put_many([(said(f"u{n}"), {}) for n in range(3)])
    items = await inbox.claim(10, NOW)
    finished = [(i.item_id, [Outgoing(f"telegram:{i.event.update_key}:0", "telegram", Reply(None, ANN, "ok")),
                             Outgoing(f"telegram:{i.event.update_key}:1", "telegram", Reply(GROUP, ANN, "ok"))])
                for i in items]
    await inbox.finish_many(finished, NOW)
    await inbox.finish_many(finished[:1], NOW)  # handled again after a lost lease: nothing new is queued
    assert await inbox.pending() == 0
    assert await inbox.claim(10, NOW + timedelta(hours=1)) == []
    queued = await outbox.claim("telegram", 10, NOW)
    assert [q.key for q in queued] == [f"telegram:u{n}:{k}" for n in range(3) for k in range(2)]


async def test_many_sends_are_marked_delivered_in_one_step(container: Container) -> None:
    outbox = SqlOutbox(container.engine)
    await outbox.enqueue([Outgoing(f"k{n}", "telegram", Reply(GROUP, ANN, f"m{n}")) for n in range(4)], NOW)
    claimed = await outbox.claim("telegram", 10, NOW)
    await outbox.delivered_many([i.item_id for i in claimed[:3]], NOW)
    await outbox.delivered_many([], NOW)
    sends = await outbox.recent_sends("telegram", NOW - timedelta(seconds=1))
    assert sends == [("room:-100", True, NOW)] * 3
    later = await outbox.claim("telegram", 10, NOW + timedelta(minutes=2))
    assert [i.key for i in later] == ["k3"], "sent ones are never claimed again"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_two_instances_claiming_updates_at_once_never_get_the_same_one(container: Container) -> None:
    await SqlInbox(container.engine, CLOCK).put_many([(said(f"u{n}"), {}) for n in range(120)])
    instances = [SqlInbox(container.engine, CLOCK) for _ in range(4)]

    async def drain(inbox: SqlInbox) -> list[str]:
        mine: list[str] = []
        while batch := await inbox.claim(9, NOW):
            mine += [i.event.update_key for i in batch]
            assert all(i.attempts == 1 for i in batch)
            await asyncio.sleep(0)
        return mine

    claimed = [key for keys in await asyncio.gather(*(drain(i) for i in instances)) for key in keys]
    assert sorted(claimed) == sorted(f"u{n}" for n in range(120))


async def test_one_instance_at_a_time_holds_a_platforms_sending_turn(container: Container) -> None:
    first, second = SqlSendingTurn(container.engine, time.monotonic), SqlSendingTurn(container.engine, time.monotonic)
    try:
        assert await first.take("telegram") is True
        postgres = container.engine.dialect.name == "postgresql"
        # On SQLite there is one instance, which always has the turn.
        assert await second.take("telegram") is (not postgres)
        assert await second.take("slack") is True  # each platform has its own turn
        assert await first.take("telegram") is True  # still held
        await first.close()  # the instance stops or dies: its connection, and the lock, go
        assert await second.take("telegram") is True
    finally:
        await first.close()
        await second.close()
