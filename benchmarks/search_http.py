"""Catalog search over HTTP against a bare round trip, before and after search answered from memory (issue 14).

    .venv/bin/python benchmarks/search_http.py [--queries 1000] [--seed 1] [--db both|sqlite|postgresql]
        [--csv PATH] [--pg ADMIN_URL] [--sqlite-file PATH] [--pg-database URL]

The real KaraFun catalog (47,768 songs) is imported into a scratch SQLite file and a scratch PostgreSQL
database (dropped afterwards). On each, two servers run at once, each a real uvicorn in a process of its own
on a loopback port, wired by ``karaoke.bootstrap.build`` like ``karaoke serve`` (httptools and uvloop when
installed, access log off):

- ``before``: what every search did before issue 14: the route's dependency ran in FastAPI's thread pool
  (a plain function, put back with ``dependency_overrides``), and after the index answered, the hits were read
  back from the database with ``get_many`` (``ReadBack`` below adds that read to today's search);
- ``readback``: the read back alone, the dependency in line as today — what each of the two changes is worth;
- ``after``: today's search, which shows the songs it holds in memory and reads no database.

This process is the client: one keep-alive connection per server; for each labelled query of
``benchmarks/querygen.py`` it sends ``GET /api/v1/healthz`` and ``GET /api/v1/songs/search?q=…`` to every
server, in an order shuffled per query, so the bare round trip and all the searches meet the same moment of a
shared machine's load. Printed per database and server: p50 and p99 of each, and search p50 minus healthz p50.
Target: after, within 1.5 ms of healthz on both databases.

Memory: two more fresh processes per database report the RSS growth of building what search holds — the
index alone as before (a ``SearchIndex`` of the songs' entries, the songs let go) and today's
``CatalogSearch.build`` (index and the songs it shows) — and how long each build took; the second also times
the same queries in process, which is what the search itself costs before HTTP and FastAPI add theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.querygen import generate, load_catalog
from benchmarks.scratch import DEFAULT_ADMIN_URL, scratch_postgres
from core.catalog.search import CatalogEntry, CatalogSearch, FoundSong, SearchIndex, SearchResult, catalog_order
from karaoke.bootstrap import build
from karaoke.cli import freeze_long_lived, import_file, server_loop
from karaoke.settings import DEMO_CATALOG, Settings
from storage.picks import SqlPickHistory
from storage.songs import SqlSongStore

SHARED_CATALOG = Path("/work/shared/data/karafun-catalog-2022.csv")
SEARCH = "/api/v1/songs/search"
HEALTHZ = "/api/v1/healthz"
WARM_UP = 100
TARGET_MS = 1.5


class ReadBack(CatalogSearch):
    """Search as it was before issue 14: after the index answers, its hits are read from the database."""

    def __init__(self, store: SqlSongStore, *, picks: SqlPickHistory) -> None:
        super().__init__(store, monotonic=time.monotonic, offload=asyncio.to_thread, picks=picks)
        self._store = store

    async def search(self, query: str, limit: int = 10) -> SearchResult:
        answer = await super().search(query, limit)
        if not answer.items:
            return answer
        songs = {s.song_id: s for s in await self._store.get_many([f.song.song_id for f in answer.items])}
        items = tuple(FoundSong(songs[f.song.song_id], f.score) for f in answer.items if f.song.song_id in songs)
        return SearchResult(items=items, confident=answer.confident and len(items) == len(answer.items))


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _settings(url: str) -> Settings:
    return Settings(database_url=url, log_level="WARNING")


# -- the server and memory processes --------------------------------------------------------------------


async def serve(url: str, mode: str) -> None:
    """Serve the API on a free loopback port until stdin closes; say ``READY <port>`` on stdout first."""
    import uvicorn

    from api.app import create_app
    from api.deps import SearchDep

    async with build(_settings(url), upgrade=False) as container:
        if mode in ("before", "readback"):
            container.search = ReadBack(container.songs, picks=SqlPickHistory(container.engine))
        await container.search.build()
        freeze_long_lived()  # as ``karaoke serve`` does once the index is built
        app = create_app(container)
        if mode == "before":
            search = container.search

            def in_the_thread_pool() -> CatalogSearch:  # a plain function, as the dependency was
                return search

            app.dependency_overrides[get_args(SearchDep)[1].dependency] = in_the_thread_pool
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
                                lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        print(f"READY {server.servers[0].sockets[0].getsockname()[1]}", flush=True)
        await asyncio.to_thread(sys.stdin.read)  # the client closes our stdin when it is done
        server.should_exit = True
        await task


async def measure_memory(url: str, what: str) -> None:
    """Print ``MEMORY <MB> <seconds>``: RSS growth and time of building what search holds, as ``what`` builds it."""
    async with build(_settings(url), upgrade=False) as container:
        await container.songs.count()  # the connection pool and the driver are up before the first reading
        gc.collect()
        before, started = rss_mb(), time.perf_counter()
        if what == "index":  # before issue 14: the index alone, made of each song's id, title, artist and year
            entries = [CatalogEntry(s.song_id, s.title, s.artist, s.year, catalog_order(s.external_id))
                       async for batch in container.songs.all_songs(5000) for s in batch]
            held: object = await asyncio.to_thread(SearchIndex, entries)
            del entries
        else:
            search = CatalogSearch(container.songs, monotonic=time.monotonic, offload=asyncio.to_thread)
            await search.build()
            held = search
        seconds = time.perf_counter() - started
        gc.collect()
        print(f"MEMORY {rss_mb() - before:.1f} {seconds:.2f}", flush=True)
        queries = (await asyncio.to_thread(sys.stdin.read)).splitlines()
        if isinstance(held, CatalogSearch):  # the search itself, in process: what HTTP adds comes on top
            for query in queries[:WARM_UP]:
                await held.search(query)
            took = []
            for query in queries:
                started = time.perf_counter()
                await held.search(query)
                took.append((time.perf_counter() - started) * 1000)
            print(f"INPROCESS {percentile(took, 0.5):.3f} {percentile(took, 0.99):.3f}", flush=True)
        del held


# -- the client -------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[str]
    connection: http.client.HTTPConnection
    healthz: list[float] = field(default_factory=list)
    search: list[float] = field(default_factory=list)

    def get(self, path: str) -> float:
        started = time.perf_counter()
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{self.name}: {path} answered {response.status}")
        return elapsed


def _child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)


def _answer(process: subprocess.Popen[str], word: str) -> list[str]:
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(word + " "):
            return line.split()[1:]
    raise RuntimeError(f"the child process ended without saying {word} (exit code {process.wait()})")


def start_server(url: str, mode: str) -> Server:
    process = _child("--serve", url, "--mode", mode)
    port = int(_answer(process, "READY")[0])
    return Server(mode, process, http.client.HTTPConnection("127.0.0.1", port, timeout=30))


def stop(server: Server) -> None:
    server.connection.close()
    assert server.process.stdin is not None
    server.process.stdin.close()
    server.process.wait(timeout=30)


def memory(url: str, what: str, queries: Sequence[str]) -> tuple[float, float, str]:
    """RSS growth and seconds of the build; for today's search also its own p50/p99 on ``queries`` in process."""
    process = _child("--memory", url, "--what", what)
    megabytes, seconds = _answer(process, "MEMORY")
    assert process.stdin is not None
    process.stdin.write("\n".join(queries))
    process.stdin.close()
    in_process = ""
    if what == "search":
        p50, p99 = _answer(process, "INPROCESS")
        in_process = f"; the search itself in process p50 {float(p50):.2f} ms, p99 {float(p99):.2f} ms"
    process.wait(timeout=60)
    return float(megabytes), float(seconds), in_process


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_queries(url: str, queries: Sequence[str], seed: int) -> list[Server]:
    servers = [start_server(url, mode) for mode in ("before", "readback", "after")]
    try:
        rng = random.Random(seed)
        paths = [f"{SEARCH}?{urllib.parse.urlencode({'q': q})}" for q in queries]
        for path in paths[:WARM_UP]:
            for server in servers:
                server.get(HEALTHZ)
                server.get(path)
        for path in paths:
            calls = [(server, kind) for server in servers for kind in ("healthz", "search")]
            rng.shuffle(calls)
            for server, kind in calls:
                if kind == "healthz":
                    server.healthz.append(server.get(HEALTHZ))
                else:
                    server.search.append(server.get(path))
    finally:
        for server in servers:
            stop(server)
    return servers


async def import_catalog(url: str, csv: Path) -> int:
    async with build(_settings(url), upgrade=True) as container:
        count = await container.songs.count()
        if count == 0:
            started = time.perf_counter()
            report = await import_file(container, csv)
            count = report.added
            print(f"  imported {count:,} songs in {time.perf_counter() - started:.1f} s", flush=True)
        return count


MemoryRow = tuple[str, float, float, str]


def report(database: str, songs: int, servers: Sequence[Server], memory_rows: Sequence[MemoryRow]) -> None:
    print(f"\n{database}: {songs:,} songs, {len(servers[0].search)} queries per server, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores, shared)")
    print(f"  {'server':<9} {'healthz p50':>11} {'p99':>7} {'search p50':>10} {'p99':>7} {'search - healthz p50':>21}")
    for server in servers:
        h50, h99 = percentile(server.healthz, 0.5), percentile(server.healthz, 0.99)
        s50, s99 = percentile(server.search, 0.5), percentile(server.search, 0.99)
        verdict = "meets" if s50 - h50 <= TARGET_MS else "misses"
        print(f"  {server.name:<9} {h50:>8.2f} ms {h99:>7.2f} {s50:>7.2f} ms {s99:>7.2f} {s50 - h50:>13.2f} ms "
              f"({verdict} ≤ {TARGET_MS} ms)")
    print("  search mean: " + ", ".join(f"{s.name} {statistics.fmean(s.search):.2f} ms" for s in servers))
    for what, megabytes, seconds, in_process in memory_rows:
        print(f"  memory: {what:<28} RSS +{megabytes:6.1f} MB, built in {seconds:5.1f} s{in_process}")


async def bench(database: str, url: str, csv: Path, queries: Sequence[str], seed: int) -> None:
    print(f"{database}: preparing", flush=True)
    songs = await import_catalog(url, csv)
    memory_rows = [("index alone (before)", *memory(url, "index", queries)),
                   ("index + songs shown (after)", *memory(url, "search", queries))]
    servers = await asyncio.to_thread(run_queries, url, queries, seed)
    report(database, songs, servers, memory_rows)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--csv", type=Path, default=DEMO_CATALOG if DEMO_CATALOG.exists() else SHARED_CATALOG)
    parser.add_argument("--pg", default=DEFAULT_ADMIN_URL, help="a PostgreSQL server's admin URL")
    parser.add_argument("--sqlite-file", type=Path, help="keep the SQLite catalog here (imported once) between runs")
    parser.add_argument("--pg-database", help="an existing PostgreSQL database (imported once) to use")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    labelled = generate(args.seed, max(1, -(-args.queries // 9)), load_catalog(args.csv))
    queries = [q.text for q in random.Random(args.seed).sample(labelled, min(args.queries, len(labelled)))]
    if args.db in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            path = args.sqlite_file or Path(tmp) / "catalog.db"
            await bench("SQLite", f"sqlite+aiosqlite:///{path}", args.csv, queries, args.seed)
    if args.db in ("both", "postgresql") and args.pg_database:
        await bench("PostgreSQL", args.pg_database, args.csv, queries, args.seed)
    elif args.db in ("both", "postgresql"):
        async with scratch_postgres(args.pg) as pg_url:
            if pg_url:
                await bench("PostgreSQL", pg_url, args.csv, queries, args.seed)


def child() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve")
    parser.add_argument("--mode", choices=["before", "readback", "after"])
    parser.add_argument("--memory")
    parser.add_argument("--what", choices=["index", "search"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.serve:
        # On the event loop ``karaoke serve`` runs on (uvloop where installed).
        with asyncio.Runner(loop_factory=server_loop(Settings())) as runner:
            runner.run(serve(args.serve, args.mode))
    else:
        asyncio.run(measure_memory(args.memory, args.what))


if __name__ == "__main__":
    if "--serve" in sys.argv or "--memory" in sys.argv:
        child()
    else:
        asyncio.run(main())
