"""The stats' contract on the fake, SQLite and PostgreSQL: a scripted three-night history gives exact counts, and
random nights give what the rows themselves add up to, whatever window is asked and after undos, erasures and
rebuilds (the sums kept beside the view never drift from its rows)."""

from __future__ import annotations

import contextlib
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.projections import (
    PERFORMANCES,
    Performance,
    PerformanceRows,
    Performances,
    ProjectionRunner,
    ProjectionStore,
    SingerAnonymized,
)
from core.rotation import AdvanceQueue, CloseShow, RotationError, RotationService, SingerRef, SkipSinger, SongRef, Undo
from core.stats import (
    ArtistCount,
    HourCount,
    PerformanceStats,
    SingerCount,
    SongCount,
    Window,
    summarize,
)
from core.stats import summary as pure
from storage.projections import SqlPerformances, SqlProjectionStore
from storage.shows import SqlShowStore
from storage.stats import SqlPerformanceStats, SummedPerformances, plan, sums_of
from storage.tables import performances, stats_counts
from tests.random_night import RandomNight
from tests.unit.fakes import FakeClock, FakeMonotonic
from tests.unit.projections.fakes import InMemoryProjectionStore
from tests.unit.rotation.fakes import CountingIds, InMemoryShowStore, RecordingSleeper, SteppingClock
from tests.unit.stats.fakes import InMemoryPerformanceStats

START = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)


class _Uuids:
    def __init__(self) -> None:
        self._rng = random.Random(5)

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


@dataclass
class History:
    rotation: RotationService
    clock: SteppingClock
    store: ProjectionStore
    stats: PerformanceStats
    engine: AsyncEngine | None
    rows: PerformanceRows | None

    def runner(self) -> ProjectionRunner:
        return ProjectionRunner(self.store, [Performances()], clock=FakeClock(START), monotonic=FakeMonotonic())

    async def catch_up(self) -> None:
        await self.runner().catch_up_all()

    async def all_rows(self) -> list[Performance]:
        if self.rows is not None:
            return list(self.rows.rows.values())
        assert self.engine is not None
        view = SqlPerformances(self.engine)
        async with self.engine.connect() as conn:
            shows = (await conn.execute(select(performances.c.show_id).distinct())).scalars().all()
        return [p for show_id in shows for p in await view.of_show(str(show_id))]

    async def sums_match_rows(self) -> None:
        """The sums kept in the database are exactly what the rows add up to."""
        if self.engine is None:
            return
        async with self.engine.connect() as conn:
            kept = {(r.period, r.dimension, r.key): [r.sung, r.no_shows, r.wait_seconds]
                    for r in (await conn.execute(select(stats_counts))).all()}
            rows = (await conn.execute(select(performances))).all()
        assert kept == sums_of(rows)


@pytest.fixture
def history(engine: AsyncEngine | None) -> History:
    clock = SteppingClock(START)
    if engine is None:
        shows = InMemoryShowStore()
        rows = PerformanceRows()
        rotation = RotationService(shows, clock, CountingIds("a"), random.Random(1), RecordingSleeper())
        return History(rotation, clock, InMemoryProjectionStore(shows, {PERFORMANCES: rows}),
                       InMemoryPerformanceStats(rows), None, rows)
    rotation = RotationService(SqlShowStore(engine), clock, _Uuids(), random.Random(1), RecordingSleeper())
    store = SqlProjectionStore(engine, {PERFORMANCES: SummedPerformances(engine, SqlPerformances(engine))})
    return History(rotation, clock, store, SqlPerformanceStats(engine), engine, None)


AFRICA = SongRef("song-africa", "Africa", "Toto", 295)
ROSANNA = SongRef("song-rosanna", "Rosanna", "Toto", 331)
ZOMBIE = SongRef("song-zombie", "Zombie", "The Cranberries", 306)
QUEEN = SongRef("song-queen", "Dancing Queen", "ABBA", 231)
ANN = SingerRef("telegram", "1", "Ann", "person-ann")
BEN = SingerRef("slack", "U2", "Ben", "person-ben")
WENDY = SingerRef(None, None, "Walk-in Wendy", "person-wendy")
OLD = SingerRef("telegram", "9", "Old-timer")  # a singer from before people: no person known


async def _three_nights(h: History) -> list[str]:
    """Friday 28 Nov 21:00 UTC, Sunday 30 Nov 23:40 into Monday 1 Dec, Friday 5 Dec 20:00; see the asserts."""
    r, tick = h.rotation, h.clock.tick
    shows = []
    # Friday: Ann Africa, Ben Zombie, Wendy Dancing Queen; sung: Ann (wait 60 s), Ben (wait 280 s); Wendy at the mic
    # when the show closes (unfinished).
    friday = (await r.open_show("open-fri", "Friday")).show_id
    await r.request_song(friday, "f1", ANN, AFRICA)
    tick(10)
    await r.request_song(friday, "f2", BEN, ZOMBIE)
    tick(10)
    await r.request_song(friday, "f3", WENDY, QUEEN)
    tick(40)
    await r.execute(friday, AdvanceQueue("f-a1"))  # 21:01:00 Ann starts (waited 60 s)
    tick(230)
    await r.execute(friday, AdvanceQueue("f-a2"))  # 21:04:50 Ann sung; Ben starts (waited 280 s)
    tick(240)
    await r.execute(friday, AdvanceQueue("f-a3"))  # 21:08:50 Ben sung; Wendy starts
    tick(100)
    await r.execute(friday, CloseShow("f-close"))
    shows.append(friday)
    # Sunday into Monday: Ann renamed "Annie" sings Rosanna at 23:50 (30 Nov) and Africa at 00:10 (1 Dec);
    # Old-timer is passed over by the KJ (a no-show); Ben's Zombie is undone back to the mic, then sung.
    h.clock.current = datetime(2026, 11, 30, 23, 40, tzinfo=UTC)
    sunday = (await r.open_show("open-sun", "Sunday")).show_id
    await r.request_song(sunday, "s1", SingerRef("telegram", "1", "Annie", "person-ann"), ROSANNA)
    await r.request_song(sunday, "s2", OLD, QUEEN)
    await r.request_song(sunday, "s3", BEN, ZOMBIE)
    await r.request_song(sunday, "s4", SingerRef("telegram", "1", "Annie", "person-ann"), AFRICA)
    tick(600)
    await r.execute(sunday, AdvanceQueue("s-a1"))  # 23:50 Annie Rosanna starts (waited 600 s)
    tick(300)
    await r.execute(sunday, SkipSinger("s-skip"))  # 23:55 the KJ passes Old-timer over: a no-show
    tick(300)
    await r.execute(sunday, AdvanceQueue("s-a2"))  # 00:00 Rosanna sung; Ben starts (waited 1200 s)
    tick(60)
    await r.execute(sunday, AdvanceQueue("s-a3"))  # 00:01 Ben's Zombie "sung"...
    await r.execute(sunday, Undo("s-undo"))  # ...undone: Ben back at the mic
    tick(540)
    await r.execute(sunday, AdvanceQueue("s-a4"))  # 00:10 Zombie sung; Annie Africa starts (waited 1800 s)
    tick(300)
    await r.execute(sunday, AdvanceQueue("s-a5"))  # 00:15 Africa sung
    await r.execute(sunday, CloseShow("s-close"))
    shows.append(sunday)
    # Friday 5 Dec: Wendy sings Africa at 20:05 (waited 300 s), Ben Dancing Queen at 20:10 (waited 600 s).
    h.clock.current = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
    later = (await r.open_show("open-fri2", "Friday again")).show_id
    await r.request_song(later, "l1", WENDY, AFRICA)
    await r.request_song(later, "l2", BEN, QUEEN)
    tick(300)
    await r.execute(later, AdvanceQueue("l-a1"))
    tick(300)
    await r.execute(later, AdvanceQueue("l-a2"))
    tick(200)
    await r.execute(later, AdvanceQueue("l-a3"))
    shows.append(later)
    await h.catch_up()
    return shows


async def test_three_nights_add_up_exactly(history: History) -> None:
    friday, sunday, later = await _three_nights(history)
    stats = await history.stats.summary(Window())
    # Sung: Ann Africa, Ben Zombie | Annie Rosanna, Ben Zombie, Annie Africa | Wendy Africa, Ben Dancing Queen.
    assert (stats.shows, stats.performances, stats.singers, stats.no_shows) == (3, 7, 3, 1)
    assert stats.top_songs == (SongCount("song-africa", "Africa", "Toto", 3),
                               SongCount("song-zombie", "Zombie", "The Cranberries", 2),
                               SongCount("song-queen", "Dancing Queen", "ABBA", 1),
                               SongCount("song-rosanna", "Rosanna", "Toto", 1))
    assert stats.top_artists == (ArtistCount("Toto", 4), ArtistCount("The Cranberries", 2), ArtistCount("ABBA", 1))
    # Ann sang last as "Annie"; the walk-in counts like anyone; Old-timer never sang.
    assert stats.top_singers == (SingerCount("Annie", 3), SingerCount("Ben", 3), SingerCount("Walk-in Wendy", 1))
    assert stats.busiest_hours == (HourCount(0, 2), HourCount(20, 2), HourCount(21, 2), HourCount(23, 1))
    # Waits: 60, 280 | 600, 1200, 1800 | 300, 600 -> 4840 / 7.
    assert stats.average_wait_seconds == 691.4
    assert stats.no_show_rate == 0.125
    await history.sums_match_rows()

    # December alone: whole days read from the rows, whatever the sums hold for November.
    december = await history.stats.summary(Window(datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)))
    assert (december.shows, december.performances, december.singers, december.no_shows) == (2, 4, 3, 0)
    assert [s.song_id for s in december.top_songs] == ["song-africa", "song-queen", "song-zombie"]
    assert december.no_show_rate == 0.0
    # Sunday's night only, from 23:00 to 01:00: the part of November and the part of December.
    night = await history.stats.summary(Window(datetime(2026, 11, 30, 23, tzinfo=UTC),
                                               datetime(2026, 12, 1, 1, tzinfo=UTC)))
    assert (night.shows, night.performances, night.singers, night.no_shows) == (1, 3, 2, 1)
    assert night.no_show_rate == 0.25
    # An empty window, and one before everything.
    assert (await history.stats.summary(Window(START, START))).performances == 0
    before = await history.stats.summary(Window(None, START))
    assert (before.performances, before.average_wait_seconds, before.no_show_rate) == (0, None, None)
    assert (before.top_songs, before.top_singers, before.busiest_hours) == ((), (), ())

    assert await history.stats.top_songs(show_id=sunday) == [
        SongCount("song-africa", "Africa", "Toto", 1), SongCount("song-rosanna", "Rosanna", "Toto", 1),
        SongCount("song-zombie", "Zombie", "The Cranberries", 1)]
    assert [(s.song_id, s.count) for s in await history.stats.top_songs(limit=2)] == [
        ("song-africa", 3), ("song-zombie", 2)]
    assert await history.stats.top_songs(show_id=str(uuid.uuid4())) == []
    assert await history.stats.popularity(10) == {"song-africa": 3, "song-zombie": 2, "song-queen": 1,
                                                  "song-rosanna": 1}
    assert await history.stats.popularity(1) == {"song-africa": 3}

    # Ann's own songs, latest first: Africa (Sunday, 00:15) once, then Rosanna; without Sunday, Friday's Africa.
    mine = await history.stats.sung_by("person-ann", except_show=None, limit=8)
    assert [(p.show_id, p.title) for p in mine] == [(sunday, "Africa"), (sunday, "Rosanna")]
    mine = await history.stats.sung_by("person-ann", except_show=sunday, limit=8)
    assert [(p.show_id, p.title) for p in mine] == [(friday, "Africa")]
    recent = await history.stats.sung_recently("person-ben", except_show=later, limit=5)
    assert [(p.show_id, p.title) for p in recent] == [(sunday, "Zombie"), (friday, "Zombie")]
    assert await history.stats.sung_recently("nobody", except_show=None, limit=5) == []


async def test_random_nights_over_three_months_add_up_to_their_rows_in_any_window(history: History) -> None:
    rng = random.Random(16)
    for n in range(5):
        history.clock.current = START + timedelta(days=rng.randint(0, 80), hours=rng.randint(0, 23))
        show_id = (await history.rotation.open_show(f"open-{n}", f"Night {n}")).show_id
        night = RandomNight(random.Random(n))
        for _ in range(70):
            history.clock.tick(rng.randint(20, 900))
            state = await history.rotation.state(show_id)
            with contextlib.suppress(RotationError):  # a random command may well be refused; the log is what counts
                await history.rotation.execute(show_id, night.next(state))
        if n % 2:
            await history.rotation.execute(show_id, night.close())
    await history.catch_up()
    await history.sums_match_rows()
    rows = await history.all_rows()
    assert sum(p.outcome == "sung" for p in rows) > 20
    windows = [Window()]
    for _ in range(12):
        a = START + timedelta(hours=rng.randint(-50, 2200))
        windows.append(Window(a, a + timedelta(hours=rng.randint(0, 1500))))
    windows += [Window(START - timedelta(days=400), START + timedelta(days=400)),
                Window(None, START + timedelta(days=40)), Window(START + timedelta(days=40), None)]
    for window in windows:
        assert await history.stats.summary(window, top=5) == summarize(rows, window, top=5), window
    if history.engine is not None:
        # Few leaders read per period: the threshold settles the top lists, or fails and every key is summed.
        for leaders in (1, 2, 4):
            few = SqlPerformanceStats(history.engine, leaders=leaders)
            for window in windows:
                for top in (1, 3):
                    assert await few.summary(window, top=top) == summarize(rows, window, top=top), (leaders, window)
    assert await history.stats.top_songs(limit=4) == pure.top_songs(rows, limit=4)
    person = "person-ben"
    assert await history.stats.sung_by(person, except_show=None, limit=8) == pure.sung_by(
        rows, person, except_show=None, limit=8)
    assert await history.stats.sung_recently(person, except_show=None, limit=3) == pure.sung_recently(
        rows, person, except_show=None, limit=3)


async def test_sums_follow_anonymizing_and_forgetting_shows_and_a_rebuild(history: History) -> None:
    friday, sunday, _ = await _three_nights(history)
    before = await history.stats.summary(Window())
    if history.engine is not None:
        view = SummedPerformances(history.engine, SqlPerformances(history.engine))
        ben = next(p for p in await SqlPerformances(history.engine).of_show(friday) if p.singer_name == "Ben")
        async with history.engine.begin() as conn:
            await view.write(conn, [SingerAnonymized(friday, ben.singer_id, "A singer")])
        await history.sums_match_rows()
        stats = await history.stats.summary(Window())
        assert stats.singers == 4  # Ben, and Friday's anonymous singer apart
        assert SingerCount("A singer", 1) in stats.top_singers
        async with history.engine.begin() as conn:
            await view.clear_shows(conn, [sunday])
        await history.sums_match_rows()
        assert (await history.stats.summary(Window())).performances == 4
    await history.store.reset(PERFORMANCES, 1)
    assert (await history.stats.summary(Window())).performances == 0
    await history.sums_match_rows()
    await history.catch_up()
    await history.sums_match_rows()
    assert await history.stats.summary(Window()) == before


def test_a_window_reads_whole_months_from_the_sums_and_the_ends_from_the_rows() -> None:
    first, last = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 6, 3, 12, tzinfo=UTC)
    assert plan(Window(), first, last) == (["all"], [])
    everything = Window(datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert plan(everything, first, last) == (["all"], [])
    a, b = datetime(2026, 2, 15, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC)
    assert plan(Window(a, b), first, last) == (["2026-03", "2026-04"], [(a, datetime(2026, 3, 1, tzinfo=UTC)),
                                                                          (datetime(2026, 5, 1, tzinfo=UTC), b)])
    assert plan(Window(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)), first, last) == (
        ["2026-03"], [])
    assert plan(Window(a, a + timedelta(days=2)), first, last) == ([], [(a, a + timedelta(days=2))])
    assert plan(Window(datetime(2027, 1, 1, tzinfo=UTC), None), first, last) == ([], [])
    # Whole years are read as years; nothing started after the last performance, so its month is read whole.
    late = datetime(2027, 3, 9, tzinfo=UTC)
    assert plan(Window(datetime(2024, 11, 20, tzinfo=UTC), None), datetime(2024, 1, 1, tzinfo=UTC), late) == (
        ["2024-12", "2025", "2026", "2027-01", "2027-02", "2027-03"],
        [(datetime(2024, 11, 20, tzinfo=UTC), datetime(2024, 12, 1, tzinfo=UTC))])
    # "The last 30 days": the rows of the month before from the window's start, then the last month whole.
    assert plan(Window(last - timedelta(days=30), None), first, last) == (
        ["2026-06"], [(last - timedelta(days=30), datetime(2026, 6, 1, tzinfo=UTC))])
    # Open at the start: from the first performance's month on, whole.
    assert plan(Window(None, b), first, last) == (["2026-01", "2026-02", "2026-03", "2026-04"],
                                                  [(datetime(2026, 5, 1, tzinfo=UTC), b)])
    # A window inside the month of the last performance, reaching past it, is that month's sums.
    assert plan(Window(datetime(2026, 6, 2, tzinfo=UTC), None), first, last) == (
        [], [(datetime(2026, 6, 2, tzinfo=UTC), last + timedelta(microseconds=1))])
