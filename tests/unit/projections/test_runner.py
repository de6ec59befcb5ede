"""The projection runner on hand-written fakes: it follows streams incrementally, applies each event once
however many instances race, wakes on announcements, backs off a failing projection without touching the
write side, rebuilds on a new version, and a rebuild gives exactly what was built incrementally."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable

import pytest

from core.privacy import erase_person
from core.projections import (
    PERFORMANCES,
    Performance,
    PerformanceRows,
    Performances,
    ProjectionRunner,
    Step,
    performances_of,
)
from core.rotation import (
    AdvanceQueue,
    ForgetSinger,
    RotationError,
    RotationService,
    SingerRef,
    SongRef,
    event_from_dict,
    event_to_dict,
)
from core.wakeups import SHOWS
from tests.random_night import ACCOUNTS, RandomNight
from tests.unit.fakes import FakeClock, FakeMonotonic, FakeWakeups
from tests.unit.projections.fakes import InMemoryProjectionStore
from tests.unit.rotation.fakes import CountingIds, InMemoryShowStore, RecordingSleeper, SteppingClock


class Breakable(Performances):
    """The Performances projection, made to fail on the shows in ``broken`` (a bug meeting odd data)."""

    def __init__(self) -> None:
        self.broken: set[str] = set()
        self.calls = 0

    def apply(self, step: Step) -> list[object]:  # type: ignore[override]
        self.calls += 1
        if step.show_id in self.broken:
            raise KeyError(f"no such thing in {step.show_id}")
        return list(super().apply(step))


class Versioned(Performances):
    def __init__(self, version: int) -> None:
        self.version = version


class World:
    """One show store, the rotation over it, and a projection store every runner of the test shares."""

    def __init__(self) -> None:
        self.shows = InMemoryShowStore()
        self.clock = SteppingClock()
        self.rotation = RotationService(self.shows, self.clock, CountingIds(), random.Random(3), RecordingSleeper())
        self.view = PerformanceRows()
        self.store = InMemoryProjectionStore(self.shows, {PERFORMANCES: self.view})
        self.monotonic = FakeMonotonic()
        self.wakeups = FakeWakeups()
        self.advances = 0

    def runner(self, projection: Performances | None = None, **options: object) -> ProjectionRunner:
        return ProjectionRunner(self.store, [projection or Performances()], clock=FakeClock(),
                                monotonic=self.monotonic, wakeups=self.wakeups, **options)  # type: ignore[arg-type]

    async def night(self, name: str = "Friday") -> str:
        return (await self.rotation.open_show(f"open-{name}", name)).show_id

    async def sing(self, show_id: str, *names: str) -> None:
        for n, name in enumerate(names):
            await self.rotation.request_song(show_id, f"{show_id}-req-{name}", SingerRef(None, None, name),
                                             SongRef(f"song-{n}", f"Song {n}", "Artist", 200))
        for _ in range(len(names) + 1):
            self.clock.tick(60)
            self.advances += 1
            with contextlib.suppress(RotationError):
                await self.rotation.execute(show_id, AdvanceQueue(f"advance-{self.advances}"))

    async def expected(self, show_id: str) -> list[Performance]:
        return performances_of(show_id, await self.rotation.log(show_id))


def exactly_once(store: InMemoryProjectionStore, show_id: str, version: int) -> bool:
    """The committed claims of the show cover seqs 1..version once each, in order."""
    ranges = [(start, end) for name, show, start, end in store.applied if show == show_id]
    covered = 0
    for start, end in ranges:
        if start != covered or end <= start:
            return False
        covered = end
    return covered == version


async def test_a_show_is_followed_event_by_event_and_each_event_is_applied_once() -> None:
    world = World()
    runner = world.runner()
    show_id = await world.night()
    await world.sing(show_id, "Ann", "Ben")
    assert await runner.catch_up(PERFORMANCES, show_id)
    assert world.view.of_show(show_id) == await world.expected(show_id)
    await world.sing(show_id, "Cat")
    assert await runner.catch_up(PERFORMANCES, show_id)
    assert [p.singer_name for p in world.view.of_show(show_id)] == ["Ann", "Ben", "Cat"]
    assert world.view.of_show(show_id) == await world.expected(show_id)
    assert exactly_once(world.store, show_id, (await world.shows.version(show_id)) or 0)


async def test_nothing_new_costs_one_look_and_no_claim() -> None:
    world = World()
    runner = world.runner()
    show_id = await world.night()
    await world.sing(show_id, "Ann")
    await runner.catch_up(PERFORMANCES, show_id)
    claims, reads = len(world.store.applied), world.store.reads
    assert await runner.catch_up(PERFORMANCES, show_id)
    assert (len(world.store.applied), world.store.reads) == (claims, reads)


async def test_instances_racing_on_one_show_apply_each_event_once() -> None:
    world = World()
    show_id = await world.night()
    await world.sing(show_id, "Ann", "Ben", "Cat", "Dan")
    runners = [world.runner(batch=3) for _ in range(4)]
    await asyncio.gather(*(r.catch_up(PERFORMANCES, show_id) for r in runners))
    assert exactly_once(world.store, show_id, (await world.shows.version(show_id)) or 0)
    assert world.view.of_show(show_id) == await world.expected(show_id)


async def test_in_the_background_an_announced_change_is_applied_without_waiting_for_the_safety_net() -> None:
    world = World()
    show_id = await world.night()
    runner = world.runner(safety_net_seconds=3600)
    runner.start()
    try:
        await _until(lambda: (show_id, 1) in {(s, e) for _, s, _, e in world.store.applied})
        await world.sing(show_id, "Ann")
        version = await world.shows.version(show_id)
        world.wakeups.notify(SHOWS, show_id, str(version))
        await _until(lambda: len(world.view.of_show(show_id)) == 1)
        assert exactly_once(world.store, show_id, version or 0)
    finally:
        await runner.stop()
    assert world.wakeups.listeners == []


async def test_after_lost_announcements_every_show_is_looked_at_again() -> None:
    world = World()
    runner = world.runner(safety_net_seconds=3600)
    runner.start()
    try:
        show_id = await world.night()
        await world.sing(show_id, "Ann")
        world.wakeups.lost_announcements()  # nothing named the show: look at every one
        await _until(lambda: len(world.view.of_show(show_id)) == 1)
    finally:
        await runner.stop()


async def test_a_failing_projection_backs_off_logs_once_each_way_names_itself_and_the_rotation_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = World()
    projection = Breakable()
    runner = world.runner(projection, first_retry_seconds=1.0, longest_retry_seconds=8.0)
    good, bad = await world.night("Good"), await world.night("Bad")
    projection.broken.add(bad)
    caplog.set_level(logging.DEBUG, logger="core.projections.runner")

    for attempt in range(4):
        await world.sing(good, f"G{attempt}")
        await world.sing(bad, f"B{attempt}")  # the write side never waits for the view
        assert await runner.catch_up(PERFORMANCES, good)
        assert not await runner.catch_up(PERFORMANCES, bad)
        calls = projection.calls
        assert not await runner.catch_up(PERFORMANCES, bad)  # backing off: not even tried
        assert projection.calls == calls
        world.monotonic.seconds += 2 ** attempt  # 1, 2, 4, 8 s: the back-off doubles

    assert world.view.of_show(good) == await world.expected(good)
    assert world.view.of_show(bad) == []
    [health] = runner.health()
    assert (health.name, health.status) == ("performances", "failing")
    assert "1 show" in health.detail and "KeyError" in health.detail and "rotation is not affected" in health.detail
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "projection performances failed on show" in errors[0].getMessage()
    assert errors[0].exc_info is not None

    projection.broken.clear()
    world.monotonic.seconds += 60
    assert await runner.catch_up(PERFORMANCES, bad)
    assert world.view.of_show(bad) == await world.expected(bad)
    assert runner.health()[0].status == "ok"
    recovered = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(recovered) == 1 and "projection performances applies events again" in recovered[0]
    assert exactly_once(world.store, bad, (await world.shows.version(bad)) or 0)


async def test_a_write_the_database_refused_is_applied_again_once() -> None:
    world = World()
    runner = world.runner(first_retry_seconds=0.5)
    show_id = await world.night()
    await world.sing(show_id, "Ann", "Ben")
    world.store.fail_saves = 1
    assert not await runner.catch_up(PERFORMANCES, show_id)
    assert world.view.of_show(show_id) == []
    world.monotonic.seconds += 1
    assert await runner.catch_up(PERFORMANCES, show_id)
    assert world.view.of_show(show_id) == await world.expected(show_id)
    assert exactly_once(world.store, show_id, (await world.shows.version(show_id)) or 0)


async def test_a_new_version_of_the_projection_rebuilds_its_view_and_an_older_one_leaves_it_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = World()
    show_id = await world.night()
    await world.sing(show_id, "Ann")
    assert await world.runner(Versioned(1)).catch_up(PERFORMANCES, show_id)
    world.view.rows[(show_id, 99)] = world.view.of_show(show_id)[0]  # what version 1 got wrong

    newer = world.runner(Versioned(2))
    assert await newer.catch_up(PERFORMANCES, show_id)
    assert world.view.of_show(show_id) == await world.expected(show_id)
    assert "projection performances changed (now version 2)" in caplog.text

    older = world.runner(Versioned(1))
    assert not await older.catch_up(PERFORMANCES, show_id)
    assert older.health()[0].status == "stopped"


async def test_an_instance_running_when_another_rebuilds_follows_the_rebuilt_view() -> None:
    world = World()
    show_id = await world.night()
    await world.sing(show_id, "Ann", "Ben")
    first = world.runner()
    await first.catch_up(PERFORMANCES, show_id)
    done = await world.runner().rebuild(PERFORMANCES)
    assert (done.shows, done.failed) == (1, 0)
    await world.sing(show_id, "Cat")
    assert await first.catch_up(PERFORMANCES, show_id)  # its folded copy is ahead of the reset checkpoint
    assert world.view.of_show(show_id) == await world.expected(show_id)


async def _forget(world: World, show_id: str, platform: str, user_id: str, alias: str) -> None:
    """What erasing a person does to a show: ``SingerForgotten`` appended, then the earlier events rewritten and,
    in the same transaction, every view of the show started again from its first event."""
    with contextlib.suppress(RotationError):
        await world.rotation.execute(show_id, ForgetSinger(f"forget:{alias}", SingerRef(platform, user_id, "x"),
                                                           SingerRef("erased", alias, "A singer")))
    rows = world.shows.rows[show_id]
    stored = [(seq, event_from_dict(kind, dict(payload))) for seq, kind, payload, _ in rows]
    for seq, event in erase_person(stored, platform, user_id, alias):
        kind, payload = event_to_dict(event)
        rows[seq - 1] = (seq, kind, payload, rows[seq - 1][3])
    await world.store.restart_shows([show_id])
    world.rotation.drop_cached(show_id)


@pytest.mark.parametrize("seed", range(8))
async def test_on_a_random_night_the_incremental_view_equals_a_rebuild_and_the_fold(seed: int) -> None:
    rng = random.Random(seed)
    world = World()
    shows = [await world.night("One"), await world.night("Two")]
    nights = {show_id: RandomNight(random.Random(seed * 7 + n)) for n, show_id in enumerate(shows)}
    runners = [world.runner(batch=rng.randint(1, 6)) for _ in range(2)]
    forgotten = False
    for step in range(260):
        show_id = rng.choice(shows)
        with contextlib.suppress(RotationError):
            await world.rotation.execute(show_id, nights[show_id].next(await world.rotation.state(show_id)))
        world.clock.tick(rng.randint(1, 300))
        if rng.random() < 0.3:
            # Now one instance, now the other, now both at once; sometimes one restarts (a cold cache).
            chosen = rng.sample(runners, rng.randint(1, 2))
            await asyncio.gather(*(r.catch_up(PERFORMANCES, show_id) for r in chosen))
        if rng.random() < 0.02:
            runners[rng.randrange(2)] = world.runner(batch=rng.randint(1, 6))
        if step == 200 and not forgotten:
            forgotten = True
            platform, user_id, _, _ = ACCOUNTS[rng.randrange(len(ACCOUNTS))]
            for show_id in shows:
                await _forget(world, show_id, platform, user_id, f"alias{seed}")
    for show_id in shows:
        with contextlib.suppress(RotationError):
            await world.rotation.execute(show_id, nights[show_id].close())
    for runner in runners:
        for show_id in shows:
            assert await runner.catch_up(PERFORMANCES, show_id)
    incremental = {show_id: world.view.of_show(show_id) for show_id in shows}
    for show_id in shows:
        assert exactly_once(world.store, show_id, (await world.shows.version(show_id)) or 0)
        assert incremental[show_id] == await world.expected(show_id)
        state = await world.rotation.state(show_id)
        assert [p.request_id for p in incremental[show_id] if p.outcome == "sung"] == [
            h.request_id for h in state.history if h.outcome == "sung"]

    done = await world.runner().rebuild(PERFORMANCES)
    assert done.failed == 0 and done.shows == 2
    assert {show_id: world.view.of_show(show_id) for show_id in shows} == incremental
    assert sum(len(rows) for rows in incremental.values()) > 0


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5.0):
        while not condition():
            await asyncio.sleep(0.005)

