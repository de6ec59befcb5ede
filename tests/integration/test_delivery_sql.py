"""Inbox and outbox on real databases, beyond the contract they keep (``tests/contracts``): batches larger
than one statement, several instances claiming at once, and the sending turn."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

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


async def test_a_batch_larger_than_one_statement_is_stored_whole(container: Container) -> None:
    inbox = SqlInbox(container.engine, CLOCK)
    flags = await inbox.put_many([(said(f"u{n}"), {}) for n in range(450)])
    assert flags == [True] * 450
    assert await inbox.pending() == 450


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
