"""Rotation commands per second and their latency, N concurrent clients, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/rotation.py [--clients 32] [--seconds 10] [--shows 1,10] [--pg URL]

Each client plays singers and a KJ in one show: mostly song requests, some advances (which also
finish songs so the pending limit never blocks), the odd undo. Commands go through the real
RotationService and SqlShowStore, as the API and bots call them. Targets (issue 4): >= 500
commands/s on PostgreSQL with p99 <= 50 ms; folding a 2,000-event show <= 5 ms (benchmarks/fold.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.scratch import scratch_postgres
from core.rotation import AdvanceQueue, RotationError, SingerRef, SongRef, Undo
from karaoke.bootstrap import Container, build
from karaoke.settings import Settings


async def client(
    container: Container, show_id: str, seed: int, deadline: float, latencies: list[float], errors: list[str]
) -> None:
    rng = random.Random(seed)
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        roll = rng.random()
        started = time.perf_counter()
        try:
            if roll < 0.7:
                singer = SingerRef("bench", f"{seed}-{rng.randrange(20)}", f"Singer {seed}")
                song = SongRef(f"song-{seed}-{n}", f"Song {n}", "Band", 200)
                await container.rotation.request_song(show_id, f"{seed}-{n}", singer, song)
            elif roll < 0.97:
                await container.rotation.execute(show_id, AdvanceQueue(f"adv-{seed}-{n}"))
            else:
                await container.rotation.execute(show_id, Undo(f"undo-{seed}-{n}"))
        except RotationError as error:
            # Refusals (limit reached, nothing to undo) are answers too: the command was decided.
            errors.append(error.code)
        latencies.append(time.perf_counter() - started)


async def run(url: str, clients: int, shows: int, seconds: float) -> tuple[float, float, float, int, int]:
    async with build(Settings(database_url=url), upgrade=True) as container:
        show_ids = [(await container.rotation.open_show(f"open-{uuid.uuid4()}", f"Show {i}")).show_id
                    for i in range(shows)]
        latencies: list[float] = []
        errors: list[str] = []
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(client(container, show_ids[i % shows], i, deadline, latencies, errors)
                               for i in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return len(latencies) / elapsed, p50, p99, len(latencies), len(errors)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--shows", default="1,10", help="comma-separated show counts to run")
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = []
    for shows in [int(s) for s in args.shows.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(("sqlite", shows, *await run(f"sqlite+aiosqlite:///{tmp}/b.db", args.clients, shows,
                                                      args.seconds)))
        if args.pg:
            async with scratch_postgres(args.pg) as pg_url:
                if pg_url:
                    rows.append(("postgresql", shows, *await run(pg_url, args.clients, shows, args.seconds)))
    print(f"\n{args.clients} concurrent clients, {args.seconds:.0f} s per run, one process")
    header = ("database", "shows", "commands/s", "p50 ms", "p99 ms", "commands", "refused")
    print("{:<11} {:>5} {:>11} {:>7} {:>7} {:>9} {:>8}".format(*header))
    for name, shows, rate, p50, p99, count, refused in rows:
        print(f"{name:<11} {shows:>5} {rate:>11.0f} {p50:>7.1f} {p99:>7.1f} {count:>9} {refused:>8}")
    print("target (issue 4): PostgreSQL >= 500 commands/s with p99 <= 50 ms")


if __name__ == "__main__":
    asyncio.run(main())
