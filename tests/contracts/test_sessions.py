"""The dashboard's ``AdminSessions`` and the ``IdempotencyKeys`` contracts, on the fakes, SQLite and PostgreSQL.

Both live in the database so that every instance of the service sees the same sessions and keys; the
"another instance" here is a second store on its own engine.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.access import AdminSessions, IdempotencyKeys
from storage.idempotency import SqlIdempotencyKeys
from storage.sessions import SqlAdminSessions
from storage.tables import admin_sessions
from tests.unit.access.fakes import InMemoryAdminSessions, InMemoryIdempotencyKeys
from tests.unit.fakes import FakeClock

LIFETIME = timedelta(hours=12)
Sessions = Callable[[], AdminSessions]
Keys = Callable[[], IdempotencyKeys]


@pytest.fixture
def sessions(engine: AsyncEngine | None, other_engine: AsyncEngine | None, clock: FakeClock) -> list[AdminSessions]:
    """Two instances' views of the sessions (one shared fake for the fakes)."""
    if engine is None or other_engine is None:
        fake = InMemoryAdminSessions(clock, LIFETIME)
        return [fake, fake]
    return [SqlAdminSessions(e, clock, lambda: secrets.token_urlsafe(32), LIFETIME) for e in (engine, other_engine)]


@pytest.fixture
def keys(engine: AsyncEngine | None, other_engine: AsyncEngine | None, clock: FakeClock) -> list[IdempotencyKeys]:
    if engine is None or other_engine is None:
        fake = InMemoryIdempotencyKeys()
        return [fake, fake]
    return [SqlIdempotencyKeys(e, clock) for e in (engine, other_engine)]


async def test_a_started_session_is_open_on_every_instance_until_it_ends(sessions: list[AdminSessions]) -> None:
    here, there = sessions
    first, second = await here.start(), await here.start()
    assert first != second and len(first) >= 32
    assert await here.is_open(first) and await there.is_open(first) and await there.is_open(second)
    await there.end(first)
    assert not await here.is_open(first) and not await there.is_open(first)
    assert await here.is_open(second)  # ending one session ends no other
    await here.end(first)  # ending it again is harmless


@pytest.mark.parametrize("guess", ["", "guess", "x" * 10_000, "session-0001-" + "x" * 32 + "\x00", "ünïcode"])
async def test_an_unknown_id_opens_nothing(sessions: list[AdminSessions], guess: str) -> None:
    here, _ = sessions
    await here.start()
    assert not await here.is_open(guess)
    await here.end(guess)


async def test_a_session_expires_at_the_end_of_its_lifetime(sessions: list[AdminSessions], clock: FakeClock) -> None:
    here, there = sessions
    session = await here.start()
    clock.advance(LIFETIME.total_seconds() - 1)
    assert await there.is_open(session)
    clock.advance(1)
    assert not await here.is_open(session) and not await there.is_open(session)


async def test_only_a_hash_of_the_id_is_stored_and_expired_rows_go_as_new_sessions_start(
    sessions: list[AdminSessions], engine: AsyncEngine | None, clock: FakeClock
) -> None:
    if engine is None:
        pytest.skip("about the table")
    here, _ = sessions
    old = await here.start()
    clock.advance(LIFETIME.total_seconds() + 1)
    new = await here.start()
    async with engine.connect() as conn:
        hashes = (await conn.execute(select(admin_sessions.c.session_hash))).scalars().all()
        assert (await conn.execute(select(func.count()).select_from(admin_sessions))).scalar_one() == 1
    assert old not in hashes and new not in hashes and len(hashes[0]) == 64


async def test_a_key_is_bound_to_the_request_it_was_first_used_with(keys: list[IdempotencyKeys]) -> None:
    here, there = keys
    assert await here.claim("s1:advance:k1", "fp-a", show_id="s1")
    assert await here.claim("s1:advance:k1", "fp-a", show_id="s1")  # the same request again
    assert await there.claim("s1:advance:k1", "fp-a", show_id="s1")  # on another instance too
    assert not await there.claim("s1:advance:k1", "fp-b", show_id="s1")  # another request, same key
    assert not await here.claim("s1:advance:k1", "fp-b", show_id="s1")
    assert await here.claim("s1:advance:k1", "fp-a", show_id="s1")  # the first still holds
    assert await here.claim("s2:advance:k1", "fp-b", show_id="s2")  # keys are whole strings
    assert await here.claim("-:open:k1", "fp-c")


async def test_of_two_instances_racing_with_one_key_and_different_requests_exactly_one_wins(
    keys: list[IdempotencyKeys],
) -> None:
    here, there = keys
    for n in range(10):
        key = f"s1:request:race-{n}"
        results = await asyncio.gather(*(
            store.claim(key, f"fp-{i}", show_id="s1") for i, store in zip(range(6), itertools.cycle((here, there)))
        ))
        assert sorted(results) == [False] * 5 + [True]
