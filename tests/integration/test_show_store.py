"""The show event store on real databases, beyond the contract every show store keeps (``tests/contracts``):
a torn batch rolls back whole, and many instances and processes appending at once lose and repeat nothing."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.rotation import (
    ConcurrencyConflict,
    RotationService,
    ShowSettings,
    SingerRef,
    SongRef,
    fold,
)
from core.rotation.events import ShowOpened, SingerJoined
from karaoke.bootstrap import AsyncioSleeper, Container, SystemClock, Uuid4Ids
from storage.tables import show_events, shows

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)


def opened(show_id: str, code: str = "ABCDE") -> ShowOpened:
    return ShowOpened(show_id, "Night", code, ShowSettings(), NOW, NOW)


async def test_a_batch_that_fails_midway_leaves_nothing_behind(container: Container) -> None:
    store = container.shows
    show_id = "00000000-0000-0000-0000-000000000003"
    await store.append(show_id, 0, [opened(show_id)], "open")
    # Plant a row where the batch's second event will go, as a torn write from elsewhere would.
    async with container.engine.begin() as conn:
        await conn.execute(show_events.insert().values(
            show_id=show_id, seq=3, type="SingerJoined",
            payload={"singer_id": "x", "name": "X", "platform": None, "user_id": None,
                     "occurred_at": "2026-11-28T20:00:00Z"},
            command_id=None, occurred_at=NOW,
        ))
    batch = [SingerJoined("a", "A", None, None, NOW), SingerJoined("b", "B", None, None, NOW)]
    with pytest.raises(ConcurrencyConflict):
        await store.append(show_id, 1, batch, "two-singers")
    async with container.engine.connect() as conn:
        seqs = (await conn.execute(select(show_events.c.seq).where(show_events.c.show_id == show_id))).scalars()
        assert sorted(seqs) == [1, 3]
        version = (await conn.execute(select(shows.c.version).where(shows.c.show_id == show_id))).scalar()
    assert version == 1, "the version guard rolled back with the failed insert"


def instances(container: Container, count: int) -> list[RotationService]:
    """Services as separate app instances would have them: one store, nothing else shared."""
    return [
        RotationService(container.shows, SystemClock(), Uuid4Ids(), random.Random(n), AsyncioSleeper(),
                        max_attempts=200)
        for n in range(count)
    ]


async def test_200_singers_requesting_at_once_through_four_instances_all_land_once(container: Container) -> None:
    services = instances(container, 4)
    show_id = (await services[0].open_show("open", "Busy night")).show_id
    results = await asyncio.gather(*(
        services[n % 4].request_song(
            show_id, f"request-{n}", SingerRef("telegram", str(n), f"Singer {n}"),
            SongRef(f"song-{n}", f"Song {n}", "Band", 200),
        )
        for n in range(200)
    ))
    assert len({r.request_id for r in results}) == 200
    events, version = await container.shows.load(show_id)
    assert [e.seq for e in events] == list(range(1, version + 1)), "the stream has no gaps"
    state = fold(e.event for e in events)
    pending = [r for r in state.requests.values() if r.status == "pending"]
    assert len(pending) == 200
    assert sorted(len(state.pending_of(s)) for s in state.singers) == [1] * 200
    assert state == await services[3].state(show_id)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_two_processes_appending_to_one_show_lose_and_duplicate_nothing(
    container: Container, db_url: str
) -> None:
    show_id = (await container.rotation.open_show("open", "Two processes")).show_id
    env = os.environ | {"PYTHONPATH": str(REPO)}
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.rotation_worker", db_url, show_id, prefix, "60",
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for prefix in ("left", "right")
    ]
    outputs = [await asyncio.wait_for(worker.communicate(), 120) for worker in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode()[-2000:]
    events, version = await container.shows.load(show_id)
    assert [e.seq for e in events] == list(range(1, version + 1))
    state = fold(e.event for e in events)
    songs = sorted(r.song.song_id for r in state.requests.values())
    assert songs == sorted([f"left-song-{n}" for n in range(60)] + [f"right-song-{n}" for n in range(60)])
    async with container.engine.connect() as conn:
        commands = (await conn.execute(
            select(func.count()).where(show_events.c.show_id == show_id, show_events.c.command_id.is_not(None))
        )).scalar_one()
    assert commands == 121, "one batch per command: the open and 120 requests"
