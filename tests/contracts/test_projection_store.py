"""The projections' storage contract on the fake, SQLite and PostgreSQL: a claim's changes and checkpoint land
together or not at all, claims of one show take turns across instances, versions decide rebuilds, and the
Performances view reads back as it was written."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.projections import (
    PERFORMANCES,
    PerformanceLog,
    PerformanceRows,
    Performances,
    Progress,
    ProjectionRunner,
    ProjectionStore,
    Recorded,
    SingerAnonymized,
    Unrecorded,
    VersionMismatch,
    performances_of,
)
from core.rotation import (
    AdvanceQueue,
    CloseShow,
    RotationService,
    ShowStore,
    SingerRef,
    SongRef,
)
from storage.projections import SqlPerformances, SqlProjectionStore
from storage.shows import SqlShowStore
from tests.contracts.conftest import NOW
from tests.unit.fakes import FakeClock, FakeMonotonic
from tests.unit.projections.fakes import InMemoryPerformanceLog, InMemoryProjectionStore
from tests.unit.rotation.fakes import CountingIds, InMemoryShowStore, RecordingSleeper, SteppingClock


@dataclass
class Views:
    """One instance's view of the storage: its show store, projection store and Performances reader."""

    shows: ShowStore
    store: ProjectionStore
    log: PerformanceLog
    rotation: RotationService
    clock: SteppingClock

    def runner(self, batch: int = 500) -> ProjectionRunner:
        return ProjectionRunner(self.store, [Performances()], clock=FakeClock(NOW), monotonic=FakeMonotonic(),
                                batch=batch)


def _views(engine: AsyncEngine | None, fake: Views | None = None) -> Views:
    clock = SteppingClock(NOW)
    if engine is None:
        if fake is not None:  # another "instance" of the fake: the same dicts
            rotation = RotationService(fake.shows, clock, CountingIds("b"), random.Random(2), RecordingSleeper())
            return Views(fake.shows, fake.store, fake.log, rotation, clock)
        shows = InMemoryShowStore()
        rows = PerformanceRows()
        store = InMemoryProjectionStore(shows, {PERFORMANCES: rows})
        log: PerformanceLog = InMemoryPerformanceLog(rows, shows)
        rotation = RotationService(shows, clock, CountingIds("a"), random.Random(1), RecordingSleeper())
        return Views(shows, store, log, rotation, clock)
    sql_shows = SqlShowStore(engine)
    view = SqlPerformances(engine)
    rotation = RotationService(sql_shows, clock, _Uuids(), random.Random(1), RecordingSleeper())
    return Views(sql_shows, SqlProjectionStore(engine, {PERFORMANCES: view}), view, rotation, clock)


class _Uuids:
    """Random UUIDs from a seeded generator: the SQL tables keep show ids as UUIDs."""

    def __init__(self) -> None:
        self._rng = random.Random(11)

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


@pytest.fixture
def one(engine: AsyncEngine | None) -> Views:
    return _views(engine)


@pytest.fixture
def two(one: Views, other_engine: AsyncEngine | None) -> Views:
    """A second instance on the same storage (its own engine on a database)."""
    return _views(other_engine, one if other_engine is None else None)


async def _night(views: Views, name: str, singers: Sequence[str], *, close: bool = False) -> str:
    show_id = (await views.rotation.open_show(f"open-{name}", name)).show_id
    for n, singer in enumerate(singers):
        views.clock.tick(30)
        await views.rotation.request_song(show_id, f"{name}-{n}", SingerRef(None, None, singer, f"person-{singer}"),
                                          SongRef(f"song-{name}-{n}", f"Song {n}", "Artist", 200))
    for n in range(len(singers)):
        views.clock.tick(240)
        await views.rotation.execute(show_id, AdvanceQueue(f"{name}-advance-{n}"))
    if close:
        await views.rotation.execute(show_id, CloseShow(f"{name}-close"))
    return show_id


async def test_a_runner_writes_the_view_and_moves_the_checkpoint_to_the_shows_version(one: Views) -> None:
    show_id = await _night(one, "Friday", ["Ann", "Ben", "Cat"])
    version = 15  # opened; three singers joined and asked; three advances
    assert await one.shows.version(show_id) == version
    assert await one.store.progress(PERFORMANCES, show_id) == Progress(show_id, 0, version)
    assert [p.show_id for p in await one.store.behind(PERFORMANCES)] == [show_id]
    assert await one.runner(batch=2).catch_up(PERFORMANCES, show_id)
    assert await one.store.progress(PERFORMANCES, show_id) == Progress(show_id, version, version)
    assert await one.store.behind(PERFORMANCES) == []
    assert await one.log.of_show(show_id) == performances_of(show_id, await one.rotation.log(show_id))
    assert [(p.ordinal, p.singer_name, p.outcome) for p in await one.log.of_show(show_id)] == [
        (1, "Ann", "sung"), (2, "Ben", "sung")]
    assert await one.store.progress(PERFORMANCES, "00000000-0000-0000-0000-000000000000") is None


async def test_a_claim_that_fails_leaves_neither_rows_nor_a_moved_checkpoint(one: Views) -> None:
    show_id = await _night(one, "Friday", ["Ann", "Ben"])
    row = performances_of(show_id, await one.rotation.log(show_id))[0]
    await one.store.prepare(PERFORMANCES, 1)
    with pytest.raises(RuntimeError):
        async with one.store.claim(PERFORMANCES, 1, show_id) as claim:
            assert claim.position == 0
            events = await claim.events(0, 3)
            assert [e.seq for e in events] == [1, 2, 3]
            await claim.save([Recorded(row)], 3)
            raise RuntimeError("the projection failed after writing")
    assert (await one.store.progress(PERFORMANCES, show_id)) == Progress(show_id, 0, 10)
    assert await one.log.of_show(show_id) == []


async def test_changes_are_written_in_order_upserts_deletions_and_anonymizing(one: Views) -> None:
    show_id = await _night(one, "Friday", ["Ann", "Ben", "Cat"])
    rows = performances_of(show_id, await one.rotation.log(show_id))
    ann, ben = rows
    await one.store.prepare(PERFORMANCES, 1)
    async with one.store.claim(PERFORMANCES, 1, show_id) as claim:
        await claim.save([Recorded(ann), Recorded(ben), Unrecorded(show_id, 1), Recorded(ben),
                          SingerAnonymized(show_id, ann.singer_id, "A singer"),
                          Recorded(replace(ben, title="Song 1 (again)"))], 4)
    assert [(p.singer_name, p.title, p.person_id) for p in await one.log.of_show(show_id)] == [
        ("A singer", "Song 0", None), ("Ben", "Song 1 (again)", "person-Ben")]
    assert (await one.store.progress(PERFORMANCES, show_id)) == Progress(show_id, 4, 15)


async def test_claims_of_one_show_take_turns_across_instances_and_the_second_finds_the_first_ones_work(
    one: Views, two: Views
) -> None:
    show_id = await _night(one, "Friday", ["Ann", "Ben"])
    await one.store.prepare(PERFORMANCES, 1)
    inside = asyncio.Event()
    seen: list[int] = []

    async def first() -> None:
        async with one.store.claim(PERFORMANCES, 1, show_id) as claim:
            inside.set()
            await asyncio.sleep(0.3)  # the second claimer waits all along
            await claim.save([], 5)

    async def second() -> None:
        await inside.wait()
        async with two.store.claim(PERFORMANCES, 1, show_id) as claim:
            seen.append(claim.position)

    await asyncio.gather(first(), second())
    assert seen == [5]


async def test_runners_of_two_instances_racing_apply_every_event_once(one: Views, two: Views) -> None:
    shows = [await _night(one, f"Night{n}", ["Ann", "Ben", "Cat"]) for n in range(3)]
    runners = [one.runner(batch=2), two.runner(batch=3), one.runner(batch=1), two.runner()]
    await asyncio.gather(*(r.catch_up_all() for r in runners))
    for show_id in shows:
        assert await one.log.of_show(show_id) == performances_of(show_id, await one.rotation.log(show_id))
        assert (await one.store.progress(PERFORMANCES, show_id)) == Progress(show_id, 15, 15)


async def test_a_version_decides_whether_the_view_is_kept_rebuilt_or_left_to_newer_code(one: Views) -> None:
    show_id = await _night(one, "Friday", ["Ann", "Ben"])
    assert await one.store.prepare(PERFORMANCES, 2) == "current"
    assert await one.store.prepare(PERFORMANCES, 2) == "current"
    async with one.store.claim(PERFORMANCES, 2, show_id) as claim:
        await claim.save([Recorded(performances_of(show_id, await one.rotation.log(show_id))[0])], 5)
    assert await one.store.prepare(PERFORMANCES, 1) == "newer"
    with pytest.raises(VersionMismatch):
        async with one.store.claim(PERFORMANCES, 1, show_id):
            pass
    assert len(await one.log.of_show(show_id)) == 1
    assert await one.store.prepare(PERFORMANCES, 3) == "rebuilt"
    assert await one.log.of_show(show_id) == []
    assert (await one.store.progress(PERFORMANCES, show_id)) == Progress(show_id, 0, 10)


async def test_a_reset_clears_the_view_and_every_checkpoint(one: Views) -> None:
    shows = [await _night(one, f"Night{n}", ["Ann", "Ben"]) for n in range(2)]
    assert (await one.runner().catch_up_all()).shows == 2
    assert [len(await one.log.of_show(s)) for s in shows] == [1, 1]
    await one.store.reset(PERFORMANCES, 1)
    assert sorted(p.show_id for p in await one.store.behind(PERFORMANCES)) == sorted(shows)
    assert [await one.log.of_show(s) for s in shows] == [[], []]


async def test_shows_behind_are_listed_a_page_at_a_time_by_show_id(one: Views) -> None:
    shows = sorted([await _night(one, f"Night{n}", []) for n in range(5)])
    first = await one.store.behind(PERFORMANCES, limit=2)
    rest = await one.store.behind(PERFORMANCES, after=first[-1].show_id, limit=10)
    assert [p.show_id for p in first + rest] == shows
    assert all(p.position == 0 and p.version == 1 for p in first + rest)


async def test_a_persons_performances_come_newest_first_across_shows(one: Views) -> None:
    early = await _night(one, "Early", ["Ann", "Ben", "Ann2"])
    one.clock.tick(3600)
    late = await _night(one, "Late", ["Cat", "Ann", "Dan"])
    await one.runner().catch_up_all()
    mine = await one.log.of_person("person-Ann")
    assert [(p.show_id, p.title) for p in mine] == [(late, "Song 1"), (early, "Song 0")]
    assert [p.title for p in await one.log.of_person("person-Ann", limit=1)] == ["Song 1"]
    assert await one.log.of_person("nobody") == []


async def test_a_join_code_finds_its_open_show_else_the_last_closed_one_that_had_it(one: Views) -> None:
    closed = await _night(one, "Old", ["Ann"], close=True)
    code = (await one.rotation.state(closed)).code
    assert await one.log.show_with_code(code) == closed
    assert await one.log.show_with_code(code.lower()) == closed
    assert await one.log.show_with_code("NOPE9") is None
    assert await one.log.show_with_code("") is None
    assert await one.log.show_with_code("X" * 500) is None
    assert await one.log.show_with_code("é'; DROP TABLE shows;--") is None
