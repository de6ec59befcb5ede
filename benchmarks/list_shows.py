"""What does listing shows cost with 1,000 of them? Time and bytes of ``GET /api/v1/shows``, against folding
every show per request as the listing once did (issue 13: 1.1 s and 350 KB with 1,027 shows).

Seeds 1,000 shows (each opened with 30 singers, so folding one means reading and replaying 31 events), then:

- before: every show's stream read and folded, and all of them serialised (the old unpaginated listing);
- after: ``GET /api/v1/shows`` through the real app (one page of summaries read from the ``shows`` table),
  the first page and a page deep in the list.

Run: .venv/bin/python benchmarks/list_shows.py [--shows 1000] [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from api.app import create_app
from api.routes.shows import ShowOut
from benchmarks.scratch import scratch_postgres
from core.rotation import Event, ShowSettings
from core.rotation.events import ShowOpened, SingerJoined
from karaoke.bootstrap import Container, build
from karaoke.settings import Settings

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
RUNS = 5


async def seed(container: Container, count: int) -> None:
    for n in range(count):
        show_id = f"00000000-0000-0000-0000-{n:012d}"
        at = NOW + timedelta(minutes=n)
        events: list[Event] = [ShowOpened(show_id, f"Night {n}", f"C{n:04d}", ShowSettings(), at, at)]
        events += [SingerJoined(f"s{n}-{i}", f"Singer {i}", "telegram", f"{n}-{i}", at) for i in range(30)]
        await container.shows.append(show_id, 0, events, f"open-{n}")


async def timed(work: Callable[[], Awaitable[int]]) -> tuple[float, float, int]:
    """(first run ms, median of the next runs ms, bytes)."""
    started = time.perf_counter()
    size = await work()
    first = (time.perf_counter() - started) * 1000
    later = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await work()
        later.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(later), size


async def measure(url: str, count: int) -> None:
    async with build(Settings(database_url=url), upgrade=True) as container:
        started = time.perf_counter()
        await seed(container, count)
        print(f"  seeded {count} shows in {time.perf_counter() - started:.1f} s")

        async def fold_every_show() -> int:
            page = await container.rotation.list_shows(limit=count)
            shows = [ShowOut.of(await container.rotation.state(s.show_id)).model_dump(mode="json")
                     for s in page.items]
            return len(json.dumps(shows).encode())

        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            def listing(page: int) -> Callable[[], Awaitable[int]]:
                async def get() -> int:
                    response = await client.get("/api/v1/shows", params={"page": page})
                    response.raise_for_status()
                    return len(response.content)
                return get

            rows = [
                ("before: fold every show", await timed(fold_every_show)),
                ("after: GET /api/v1/shows", await timed(listing(1))),
                ("after: GET /api/v1/shows?page=15", await timed(listing(15))),
            ]
        print(f"  {'':34} {'first ms':>9} {'median ms':>10} {'bytes':>9}")
        for label, (first, median, size) in rows:
            print(f"  {label:34} {first:9.1f} {median:10.1f} {size:9,d}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shows", type=int, default=1000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    print(f"Listing {args.shows} shows on {args.db}")
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            await measure(f"sqlite+aiosqlite:///{folder}/bench.db", args.shows)
        return
    async with scratch_postgres() as url:
        if url is not None:
            await measure(url, args.shows)


if __name__ == "__main__":
    asyncio.run(main())
