"""How long importing the KaraFun export takes, into a fresh SQLite and (when reachable) PostgreSQL.

    .venv/bin/python benchmarks/import_catalog.py [--csv PATH] [--pg postgresql+asyncpg://...] [--runs 3]

Prints one row per database and run: first import (all added) and re-import (all unchanged).
Target (issue 2): the 47,768-song file into SQLite in under 15 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from benchmarks.scratch import scratch_postgres
from karaoke.bootstrap import build
from karaoke.cli import import_file
from karaoke.settings import DEMO_CATALOG, Settings


async def timed_imports(url: str, csv: Path) -> tuple[float, float, int]:
    async with build(Settings(database_url=url), upgrade=True) as container:
        started = time.perf_counter()
        report = await import_file(container, csv)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = await import_file(container, csv)
        second = time.perf_counter() - started
    assert again.added == 0 and again.unchanged == report.added, "re-import was not idempotent"
    return first, second, report.added


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", type=Path, default=DEMO_CATALOG)
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows: list[tuple[str, int, float, float, int]] = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(("sqlite", run, *await timed_imports(f"sqlite+aiosqlite:///{tmp}/bench.db", args.csv)))
        if args.pg:
            async with scratch_postgres(args.pg) as pg_url:
                if pg_url:
                    rows.append(("postgresql", run, *await timed_imports(pg_url, args.csv)))
    print(f"\n{'database':<11} {'run':>3} {'songs':>7} {'import s':>9} {'re-import s':>12}")
    for name, run, first, second, added in rows:
        print(f"{name:<11} {run:>3} {added:>7} {first:>9.2f} {second:>12.2f}")
    for name in ("sqlite", "postgresql"):
        firsts = [r[2] for r in rows if r[0] == name]
        if firsts:
            print(f"{name}: median first import {statistics.median(firsts):.2f} s")
    print("target (issue 2): SQLite first import < 15 s")


if __name__ == "__main__":
    asyncio.run(main())
