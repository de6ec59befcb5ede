"""What do the projections cost? A rebuild of the Performances view from every show's log, the delay from a
command to its row in the view with the runner following in the background, and a read of one show's view
(the history page's read: caught up first) when nothing is new.

Seeds ``--shows`` nights, each with ``--songs`` songs sung by 12 singers (with a skip, a void and an undo every
few songs, as nights go), written straight into ``shows`` and ``show_events`` (the events are decided by the
rotation, the writing is bulk, so seeding stays quick), then:

- rebuild: ``ProjectionRunner.rebuild`` (what ``karaoke projections rebuild`` runs): seconds, events/s, rows/s;
- follow: 100 ``/next``s, each on a random open show, with the runner started; delay until the view's
  checkpoint for that show reaches the new version (p50, p99). The runner waits ``settle_seconds`` (0.25 s)
  after a wake-up for the rest of a burst, so this is about that plus one pass;
- read after a change: ``performances.of_show`` right after a ``/next`` with the runner stopped, as the history
  page's refetch does it: the read applies the new events itself (p50, p99);
- read: ``performances.of_show`` when nothing is new (a look at the checkpoint, then the rows), p50 and p99.

Run: .venv/bin/python benchmarks/projections.py [--shows 200] [--songs 40] [--db sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from benchmarks.scratch import scratch_postgres
from core.projections import PERFORMANCES
from core.rotation import (
    AdvanceQueue,
    Command,
    Event,
    OpenShow,
    RequestSong,
    RotationError,
    ShowSettings,
    ShowState,
    SingerRef,
    SkipSinger,
    SongRef,
    Undo,
    VoidPerformance,
    decide,
    event_to_dict,
    settings_to_dict,
)
from core.rotation.state import fold_onto
from karaoke.bootstrap import Container, build
from karaoke.settings import Settings
from storage.projections import SqlPerformances, SqlProjectionStore
from storage.tables import show_events, shows

START = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
SINGERS = 12
FOLLOWED = 100


def night(n: int, songs: int, rng: random.Random) -> tuple[str, list[tuple[str, list[Event]]], ShowState]:
    """A show's batches (command id, events) and its final state: ``songs`` songs sung, give or take."""
    show_id = f"00000000-0000-4000-8000-{n:012d}"
    state, batches, at = ShowState(), [], START + timedelta(days=n % 365, minutes=n)

    def do(command: Command) -> None:
        nonlocal at
        try:
            events = decide(state, command, at)
        except RotationError:
            return
        fold_onto(state, events)
        batches.append((command.command_id, events))
        at += timedelta(seconds=rng.randint(20, 260))

    do(OpenShow("open", show_id, f"Night {n}", f"B{n:05d}"[-6:], ShowSettings(max_pending=3)))
    asked = 0
    while sum(1 for h in state.history if h.outcome == "sung") < songs:
        singer = rng.randrange(SINGERS)
        asked += 1
        song = rng.randrange(4000)
        do(RequestSong(f"ask-{asked}", SingerRef("telegram", f"{n}-{singer}", f"Singer {singer}", f"p{singer}"),
                       SongRef(f"00000000-0000-4000-9000-{song:012d}", f"Song {song}", f"Artist {song % 300}", 200),
                       f"{show_id[:-6]}{asked:06d}", f"{show_id[:-8]}{singer:02d}{asked:06d}"))
        roll = rng.random()
        kind = (SkipSinger if roll < 0.05 else VoidPerformance if roll < 0.08 else Undo if roll < 0.11
                else AdvanceQueue)
        do(kind(f"kj-{len(batches)}"))
    return show_id, batches, state


async def seed(container: Container, count: int, songs: int) -> tuple[int, int]:
    rng = random.Random(16)
    events_total = sung = 0
    for start in range(0, count, 50):
        show_rows, event_rows = [], []
        for n in range(start, min(count, start + 50)):
            show_id, batches, state = night(n, songs, rng)
            assert state.opened_at is not None
            show_rows.append({"show_id": show_id, "code": state.code, "name": state.name, "status": "open",
                              "version": state.version, "created_at": state.opened_at,
                              "settings": settings_to_dict(state.settings)})
            seq = 0
            for command_id, events in batches:
                for i, event in enumerate(events):
                    seq += 1
                    kind, payload = event_to_dict(event)
                    event_rows.append({"show_id": show_id, "seq": seq, "type": kind, "payload": payload,
                                       "command_id": command_id if i == 0 else None, "occurred_at": event.occurred_at})
            events_total += seq
            sung += sum(1 for h in state.history if h.outcome == "sung")
        async with container.engine.begin() as conn:
            await conn.execute(insert(shows), show_rows)
            for chunk in range(0, len(event_rows), 2000):
                await conn.execute(insert(show_events), event_rows[chunk:chunk + 2000])
    return events_total, sung


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(url: str, count: int, songs: int) -> None:
    async with build(Settings(database_url=url, safety_net_seconds=15), upgrade=True) as container:
        started = time.perf_counter()
        events, sung = await seed(container, count, songs)
        seeded = time.perf_counter() - started
        print(f"  seeded {count} shows, {events:,} events, {sung:,} songs sung in {seeded:.1f} s")

        runner = container.projections
        started = time.perf_counter()
        done = await runner.rebuild(PERFORMANCES)
        took = time.perf_counter() - started
        view = SqlPerformances(container.engine)
        rows = sum([len(await view.of_show(f"00000000-0000-4000-8000-{n:012d}")) for n in range(count)])
        print(f"  rebuild: {done.shows} shows, {done.events:,} events, {rows:,} rows in {took:.2f} s "
              f"({done.events / took:,.0f} events/s, {rows / took:,.0f} rows/s), {done.failed} failed")

        store = SqlProjectionStore(container.engine, {PERFORMANCES: view})
        rng = random.Random(7)
        delays = []
        runner.start()
        try:
            await asyncio.sleep(0.5)
            for k in range(FOLLOWED):
                show_id = f"00000000-0000-4000-8000-{rng.randrange(count):012d}"
                state = await container.rotation.state(show_id)
                if state.now is None and not state.requests:
                    continue
                sent = time.perf_counter()
                try:
                    await container.rotation.execute(show_id, AdvanceQueue(f"bench-{k}"))
                except RotationError:
                    continue
                version = (await container.rotation.state(show_id)).version
                while True:
                    progress = await store.progress(PERFORMANCES, show_id)
                    if progress is not None and progress.position >= version:
                        break
                    await asyncio.sleep(0.001)
                delays.append((time.perf_counter() - sent) * 1000)
        finally:
            await runner.stop()
        print(f"  follow: {len(delays)} /next, command to row p50 {statistics.median(delays):.1f} ms, "
              f"p99 {percentile(delays, 0.99):.1f} ms (includes the command itself)")

        fresh = []  # the runner is stopped now: the read applies the change itself, as a page right after it does
        for k in range(FOLLOWED):
            show_id = f"00000000-0000-4000-8000-{rng.randrange(count):012d}"
            try:
                await container.rotation.execute(show_id, AdvanceQueue(f"bench-read-{k}"))
            except RotationError:
                continue
            started = time.perf_counter()
            await container.performances.of_show(show_id)
            fresh.append((time.perf_counter() - started) * 1000)
        print(f"  read one show's view right after a /next (it applies the change): "
              f"p50 {statistics.median(fresh):.2f} ms, p99 {percentile(fresh, 0.99):.2f} ms")
        reads = []
        for _ in range(300):
            show_id = f"00000000-0000-4000-8000-{rng.randrange(count):012d}"
            started = time.perf_counter()
            await container.performances.of_show(show_id)
            reads.append((time.perf_counter() - started) * 1000)
        print(f"  read one show's view, nothing new: p50 {statistics.median(reads):.2f} ms, "
              f"p99 {percentile(reads, 0.99):.2f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shows", type=int, default=200)
    parser.add_argument("--songs", type=int, default=40)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for db in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        print(f"Projections on {db}: {args.shows} shows of {args.songs} songs")
        if db == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                await measure(f"sqlite+aiosqlite:///{folder}/bench.db", args.shows, args.songs)
            continue
        async with scratch_postgres() as url:
            if url is not None:
                await measure(url, args.shows, args.songs)


if __name__ == "__main__":
    asyncio.run(main())
