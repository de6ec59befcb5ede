"""Reading the performances: computed from the logs (no view) they are what the view holds once caught up, and a
reader of the view sees a change at once, or what the view has while the projection fails on that show."""

from __future__ import annotations

import random
import time

from core.projections import (
    PERFORMANCES,
    CaughtUpPerformances,
    FoldedPerformances,
    PerformanceRows,
    Performances,
    ProjectionRunner,
)
from core.rotation import AdvanceQueue, CloseShow, RotationService, SingerRef, SongRef
from tests.unit.fakes import FakeClock
from tests.unit.projections.fakes import InMemoryPerformanceLog, InMemoryProjectionStore
from tests.unit.projections.test_runner import Breakable
from tests.unit.rotation.fakes import CountingIds, InMemoryShowStore, RecordingSleeper, SteppingClock


class Setup:
    def __init__(self, projection: Performances | None = None) -> None:
        self.shows = InMemoryShowStore()
        self.clock = SteppingClock()
        self.rotation = RotationService(self.shows, self.clock, CountingIds(), random.Random(5), RecordingSleeper())
        self.rows = PerformanceRows()
        store = InMemoryProjectionStore(self.shows, {PERFORMANCES: self.rows})
        self.runner = ProjectionRunner(store, [projection or Performances()], clock=FakeClock(),
                                       monotonic=time.monotonic)
        self.view = InMemoryPerformanceLog(self.rows, self.shows)
        self.caught_up = CaughtUpPerformances(self.view, self.runner)
        self.folded = FoldedPerformances(self.rotation)

    async def night(self, name: str, singers: list[str], *, close: bool = False) -> str:
        show_id = (await self.rotation.open_show(f"open-{name}", name)).show_id
        for singer in singers:
            self.clock.tick(60)
            await self.rotation.request_song(show_id, f"{name}-{singer}", SingerRef(None, None, singer,
                                                                                    f"person-{singer}"),
                                             SongRef(f"{name}-{singer}-song", f"{singer}'s song", "Band", 180))
        for n in range(len(singers)):
            self.clock.tick(200)
            await self.rotation.execute(show_id, AdvanceQueue(f"{name}-advance-{n}"))
        if close:
            await self.rotation.execute(show_id, CloseShow(f"{name}-close"))
        return show_id


async def test_computed_from_the_logs_they_are_what_the_caught_up_view_holds() -> None:
    setup = Setup()
    old = await setup.night("Old", ["Ann", "Ben", "Cat"], close=True)
    setup.clock.tick(86400)
    new = await setup.night("New", ["Dan", "Ann", "Eve"])
    await setup.runner.catch_up_all()
    for show_id in (old, new):
        assert await setup.folded.of_show(show_id) == await setup.view.of_show(show_id)
    assert await setup.folded.of_person("person-Ann") == await setup.view.of_person("person-Ann")
    assert [p.show_id for p in await setup.folded.of_person("person-Ann")] == [new, old]
    assert await setup.folded.of_show("no-such-show") == []
    old_code = (await setup.rotation.state(old)).code
    new_code = (await setup.rotation.state(new)).code
    for log in (setup.folded, setup.view):
        assert await log.show_with_code(old_code.lower()) == old  # closed, and nobody has its code since
        assert await log.show_with_code(f" {new_code} ") == new
        assert await log.show_with_code("NOPE9") is None


async def test_a_reader_sees_a_change_at_once_and_what_the_view_has_while_the_projection_fails() -> None:
    projection = Breakable()
    setup = Setup(projection)
    show_id = await setup.night("Friday", ["Ann", "Ben"])
    assert [p.singer_name for p in await setup.caught_up.of_show(show_id)] == ["Ann"]
    await setup.rotation.execute(show_id, AdvanceQueue("one-more"))
    assert [p.singer_name for p in await setup.caught_up.of_show(show_id)] == ["Ann", "Ben"]
    projection.broken.add(show_id)
    await setup.rotation.execute(show_id, CloseShow("close"))
    assert [p.singer_name for p in await setup.caught_up.of_show(show_id)] == ["Ann", "Ben"]
    assert setup.runner.health()[0].status == "failing"
