"""The ``KjRegistry`` contract on the fake, SQLite and PostgreSQL: invites kept by hash and used once (also when
two instances race), the people who redeemed one, and how many open shows a person runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.chat import ChatDirectory, KjRegistry, Person, Redeemed, hash_invite_code
from core.rotation import ShowStore
from core.rotation.events import ShowClosed
from storage.db import create_engine
from storage.kjs import SqlKjRegistry
from tests.contracts.conftest import NOW
from tests.contracts.test_show_store import opened, show
from tests.unit.chat.fakes import InMemoryChatDirectory, InMemoryKjRegistry
from tests.unit.rotation.fakes import InMemoryShowStore

CODE = hash_invite_code("KJ-7K3M-9QXA-2BCD")
LATER = NOW + timedelta(days=3)


@pytest.fixture
def kjs(engine: AsyncEngine | None, directory: ChatDirectory, shows: ShowStore) -> KjRegistry:
    if engine is None:
        assert isinstance(directory, InMemoryChatDirectory) and isinstance(shows, InMemoryShowStore)
        return InMemoryKjRegistry(directory, shows)
    return SqlKjRegistry(engine)


async def test_an_invite_is_redeemed_once_and_its_redeemer_is_registered(kjs: KjRegistry) -> None:
    assert not await kjs.invites_exist()
    await kjs.add_invite(CODE, NOW, LATER)
    assert await kjs.invites_exist()
    assert not await kjs.is_registered("telegram", "555")
    assert await kjs.redeem(CODE, "telegram", "555", NOW + timedelta(hours=1)) is Redeemed.DONE
    assert await kjs.is_registered("telegram", "555")
    assert not await kjs.is_registered("slack", "555"), "a person is their platform and id together"
    assert await kjs.redeem(CODE, "telegram", "555", NOW + timedelta(hours=2)) is Redeemed.ALREADY
    assert await kjs.redeem(CODE, "telegram", "777", NOW + timedelta(hours=2)) is Redeemed.USED
    assert not await kjs.is_registered("telegram", "777")
    assert await kjs.redeem(hash_invite_code("KJ-0000-0000-0000"), "telegram", "777", NOW) is Redeemed.UNKNOWN


async def test_an_expired_invite_registers_nobody(kjs: KjRegistry) -> None:
    await kjs.add_invite(CODE, NOW, LATER)
    assert await kjs.redeem(CODE, "telegram", "555", LATER) is Redeemed.EXPIRED
    assert await kjs.redeem(CODE, "telegram", "555", LATER + timedelta(days=1)) is Redeemed.EXPIRED
    assert not await kjs.is_registered("telegram", "555")


async def test_two_instances_racing_for_one_code_give_it_to_exactly_one_person(
    kjs: KjRegistry, backend_url: str | None
) -> None:
    await kjs.add_invite(CODE, NOW, LATER)
    # A second instance has its own engine and pool; on the fake both "instances" are the one registry.
    other_engine = create_engine(backend_url) if backend_url is not None else None
    other = SqlKjRegistry(other_engine) if other_engine is not None else kjs
    try:
        outcomes = await asyncio.gather(*[
            (kjs if n % 2 else other).redeem(CODE, "telegram", f"racer-{n}", NOW) for n in range(8)
        ])
    finally:
        if other_engine is not None:
            await other_engine.dispose()
    assert sorted(o.value for o in outcomes) == ["done"] + ["used"] * 7
    winner = outcomes.index(Redeemed.DONE)
    registered = [n for n in range(8) if await kjs.is_registered("telegram", f"racer-{n}")]
    assert registered == [winner]


async def test_open_shows_a_person_runs_are_counted(
    kjs: KjRegistry, directory: ChatDirectory, shows: ShowStore
) -> None:
    kim = Person("telegram", "555", "Kim")
    for n in range(1, 4):
        await shows.append(show(n), 0, [opened(show(n), f"CODE{n}")], f"open-{n}")
        await directory.add_kj(show(n), kim)
    await shows.append(show(4), 0, [opened(show(4), "CODE4")], "open-4")
    await directory.add_kj(show(4), Person("telegram", "777", "Bob"))
    assert await kjs.open_shows_run_by("telegram", "555") == 3
    await shows.append(show(2), 1, [ShowClosed(NOW)], "close-2")
    assert await kjs.open_shows_run_by("telegram", "555") == 2
    assert await kjs.open_shows_run_by("telegram", "777") == 1
    assert await kjs.open_shows_run_by("slack", "555") == 0


async def test_one_opening_at_a_time_across_instances(kjs: KjRegistry, backend_url: str | None) -> None:
    # Only PostgreSQL serves several instances; the fake and SQLite serve one process, which holds one registry.
    several = backend_url is not None and backend_url.startswith("postgresql")
    other_engine = create_engine(backend_url) if several and backend_url is not None else None
    other = SqlKjRegistry(other_engine) if other_engine is not None else kjs
    order: list[str] = []

    async def second() -> None:
        async with other.opening_turn():
            order.append("second in")

    try:
        async with kjs.opening_turn():
            order.append("first in")
            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.3)
            order.append("first out")
        await asyncio.wait_for(waiting, 5)
        async with kjs.opening_turn():  # and the turn is free again afterwards
            order.append("third in")
    finally:
        if other_engine is not None:
            await other_engine.dispose()
    assert order == ["first in", "first out", "second in", "third in"]
