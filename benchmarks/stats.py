"""How fast are the stats over a deployment's history? ``SqlPerformanceStats.summary`` over 10,000 shows and
1,000,000 performances on PostgreSQL (issue 16: ≤ 200 ms), for several windows.

Seeds a scratch database in PostgreSQL itself (generate_series, no round trip per row): the shows over ten years,
about 100 performances each, songs drawn from 47,768 with a long tail (a few are sung very often), 20,000 regulars
and a tenth of the singers without a person; 90 % sung, 5 % no-shows, the rest skipped or voided. The sums the
view's writer keeps (``stats_counts``) are built from the rows with one SQL statement per dimension, and checked
against ``storage.stats.sums_of`` (the writer's own arithmetic) for a few months before anything is timed. Then
each window is asked ``--runs`` times (after one warm-up) and its p50 and p99 printed; ``--naive`` also times
summing every row per question, as the sums replace.

Run: .venv/bin/python benchmarks/stats.py [--shows 10000] [--performances 1000000] [--runs 30] [--naive]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text

from benchmarks.scratch import DEFAULT_ADMIN_URL, scratch_postgres
from core.stats import Window
from storage import migrate
from storage.db import create_engine
from storage.stats import SqlPerformanceStats, sums_of
from storage.tables import performances, stats_counts

START = datetime(2016, 1, 1, 19, 0, tzinfo=UTC)
SONGS = 47_768
PEOPLE = 20_000

SEED_SHOWS = """
INSERT INTO shows (show_id, code, name, status, version, created_at, closed_at, settings)
SELECT md5('show' || s)::uuid, 'C' || s, 'Night ' || s, 'closed', 1,
       CAST(:start AS timestamptz) + (s * CAST(:hours AS double precision)) * interval '1 hour',
       CAST(:start AS timestamptz) + (s * CAST(:hours AS double precision) + 5) * interval '1 hour', '{}'::json
FROM generate_series(1, CAST(:shows AS int)) AS s
"""

SEED_PERFORMANCES = """
INSERT INTO performances (show_id, ordinal, request_id, singer_id, person_id, singer_name, song_id, title, artist,
                          duration, requested_at, started_at, finished_at, outcome, wait_seconds, seq)
SELECT md5('show' || s)::uuid, o, 'r-' || s || '-' || o, 'singer-' || s || '-' || (o % 30),
       CASE WHEN (s + o) % 10 = 0 THEN NULL ELSE 'person-' || ((s * 7 + (o % 30) * 13) % CAST(:people AS int)) END,
       'Singer ' || ((s * 7 + (o % 30) * 13) % CAST(:people AS int)),
       'song-' || song, 'Song ' || song, 'Artist ' || (song % 6000), 200,
       at - interval '20 minutes' - (o % 7) * interval '3 minutes', at, at + interval '4 minutes',
       CASE WHEN r < 0.90 THEN 'sung' WHEN r < 0.95 THEN 'no-show' WHEN r < 0.98 THEN 'skipped' ELSE 'voided' END,
       1200 + (o % 7) * 180, o * 4
FROM generate_series(1, CAST(:shows AS int)) AS s
CROSS JOIN LATERAL (SELECT CAST(:per AS int) + CASE WHEN s <= CAST(:extra AS int) THEN 1 ELSE 0 END AS n) AS size
CROSS JOIN LATERAL generate_series(1, size.n) AS o
CROSS JOIN LATERAL (SELECT floor(CAST(:songs AS int) * power(random(), 3))::int AS song, random() AS r,
                           CAST(:start AS timestamptz) + (s * CAST(:hours AS double precision)) * interval '1 hour'
                           + o * interval '4 minutes' AS at) AS drawn
"""

_PERIODS = ("CROSS JOIN LATERAL (VALUES ('all'), (to_char(started_at AT TIME ZONE 'UTC', 'YYYY')), "
            "(to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM'))) AS p(period)")
_KEYS = {
    "song": "song_id",
    "artist": "artist",
    "singer": "CASE WHEN person_id IS NOT NULL THEN 'p:' || person_id ELSE 's:' || singer_id END",
    "hour": "to_char(started_at AT TIME ZONE 'UTC', 'HH24')",
    "show": "replace(show_id::text, '-', '')",
}


def _sums_sql() -> list[str]:
    statements = [
        f"INSERT INTO stats_counts (period, dimension, key, sung, no_shows, wait_seconds) "
        f"SELECT period, '{dimension}', {key}, count(*), 0, sum(wait_seconds) FROM performances {_PERIODS} "
        f"WHERE outcome = 'sung' GROUP BY period, {key}"
        for dimension, key in _KEYS.items()
    ]
    statements.append(
        "INSERT INTO stats_counts (period, dimension, key, sung, no_shows, wait_seconds) "
        "SELECT period, 'total', '', count(*) FILTER (WHERE outcome = 'sung'), "
        "count(*) FILTER (WHERE outcome = 'no-show'), coalesce(sum(wait_seconds) FILTER (WHERE outcome = 'sung'), 0) "
        f"FROM performances {_PERIODS} WHERE outcome IN ('sung', 'no-show') GROUP BY period")
    return statements


async def _seed(url: str, shows: int, count: int) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        hours = 10 * 365 * 24 / shows  # ten years of nights
        started = time.perf_counter()
        async with engine.begin() as conn:
            await conn.execute(text(SEED_SHOWS), {"start": START, "hours": hours, "shows": shows})
            await conn.execute(text(SEED_PERFORMANCES), {
                "start": START, "hours": hours, "shows": shows, "per": count // shows, "extra": count % shows,
                "people": PEOPLE, "songs": SONGS})
        print(f"seeded {shows:,} shows and {count:,} performances in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        async with engine.begin() as conn:
            for statement in _sums_sql():
                await conn.execute(text(statement))
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        async with autocommit.connect() as conn:
            await conn.execute(text("VACUUM ANALYZE performances"))
            await conn.execute(text("VACUUM ANALYZE stats_counts"))
            sums = int((await conn.execute(text("SELECT count(*) FROM stats_counts"))).scalar_one())
        print(f"summed into {sums:,} stats_counts rows in {time.perf_counter() - started:.1f} s")
        await _check_sums(engine)
    finally:
        await engine.dispose()


async def _check_sums(engine: object) -> None:
    """The seeded sums of a few months are what the view's writer would have written for their rows."""
    assert hasattr(engine, "connect")
    async with engine.connect() as conn:
        for month in ("2016-01", "2019-07", "2025-12"):
            first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
            last = (first + timedelta(days=32)).replace(day=1)
            rows = (await conn.execute(select(performances).where(
                performances.c.started_at >= first, performances.c.started_at < last))).all()
            expected = {k: v for k, v in sums_of(rows).items() if k[0] == month}
            kept = {(r.period, r.dimension, r.key): [r.sung, r.no_shows, r.wait_seconds]
                    for r in (await conn.execute(select(stats_counts).where(stats_counts.c.period == month))).all()}
            assert kept == expected, f"the seeded sums of {month} differ from the writer's"
    print("the seeded sums agree with the view writer's own for 2016-01, 2019-07 and 2025-12")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _time(label: str, ask: object, runs: int) -> None:
    assert callable(ask)
    await ask()  # warm-up: plans cached, pages in memory
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        await ask()
        took.append((time.perf_counter() - started) * 1000)
    print(f"| {label} | {runs} | {statistics.median(took):.1f} | {_percentile(took, 0.99):.1f} | {max(took):.1f} |")


async def _naive(url: str) -> float:
    """Summing every row per question (the stats without the sums), one run: the five aggregates."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            started = time.perf_counter()
            for key in _KEYS.values():
                await conn.execute(text(f"SELECT {key}, count(*) FROM performances WHERE outcome = 'sung' "
                                        f"GROUP BY 1 ORDER BY 2 DESC LIMIT 10"))
            await conn.execute(text("SELECT count(*) FILTER (WHERE outcome = 'sung'), avg(wait_seconds) "
                                    "FROM performances"))
            return (time.perf_counter() - started) * 1000
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shows", type=int, default=10_000)
    parser.add_argument("--performances", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--naive", action="store_true", help="also time summing every row once")
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args()
    async with scratch_postgres(args.admin_url) as url:
        if url is None:
            return
        await _seed(url, args.shows, args.performances)
        engine = create_engine(url)
        stats = SqlPerformanceStats(engine)
        end = START + timedelta(days=3650)
        windows = [
            ("all time (no window)", Window()),
            ("all time, named (2000-01-01 to 2100-01-01)", Window(datetime(2000, 1, 1, tzinfo=UTC),
                                                                   datetime(2100, 1, 1, tzinfo=UTC))),
            ("the last 30 days", Window(end - timedelta(days=30), None)),
            ("one calendar month", Window(datetime(2020, 5, 1, tzinfo=UTC), datetime(2020, 6, 1, tzinfo=UTC))),
            ("the last 365 days", Window(end - timedelta(days=365), None)),
            ("3.5 years, mid-month to mid-month", Window(datetime(2018, 3, 15, tzinfo=UTC),
                                                         datetime(2021, 9, 15, tzinfo=UTC))),
            ("9 years, mid-month to mid-month", Window(datetime(2016, 6, 15, tzinfo=UTC),
                                                       datetime(2025, 6, 15, tzinfo=UTC))),
        ]
        print()
        print("| question | runs | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|")
        try:
            for label, window in windows:
                await _time(f"summary: {label}", lambda w=window: stats.summary(w), args.runs)
            await _time("top_songs (all time, /top)", lambda: stats.top_songs(limit=5), args.runs)
            await _time("popularity (20,000 songs, search)", lambda: stats.popularity(20_000), args.runs)
        finally:
            await engine.dispose()
        if args.naive:
            print(f"\nsumming every row per question instead (one run): {await _naive(url):.0f} ms")
        print("\ntarget (issue 16): a stats query over 10,000 shows and 1,000,000 performances in ≤ 200 ms")


if __name__ == "__main__":
    asyncio.run(main())
