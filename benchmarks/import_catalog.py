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
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from karaoke.bootstrap import build
from karaoke.cli import import_file
from karaoke.settings import DEMO_CATALOG, Settings
from storage.db import create_engine


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


async def drop_pg(admin_url: str, url: str) -> None:
    engine = create_engine(admin_url)
    name = create_engine(url).url.database
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def scratch_pg(admin_url: str) -> str | None:
    engine = create_engine(admin_url)
    name = f"karaoke_bench_{uuid.uuid4().hex[:8]}"
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # any failure means: no PostgreSQL here
        print(f"PostgreSQL skipped: {error.__class__.__name__}: {str(error)[:120]}")
        return None
    finally:
        await engine.dispose()
    return engine.url.set(database=name).render_as_string(hide_password=False)


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
        pg_url = await scratch_pg(args.pg) if args.pg else None
        if pg_url:
            try:
                rows.append(("postgresql", run, *await timed_imports(pg_url, args.csv)))
            finally:
                await drop_pg(args.pg, pg_url)
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
