"""Open screens on one show: what they cost the database while nothing changes, and how fast a change reaches them.

    .venv/bin/python benchmarks/push.py [--screens 1000] [--changes 20] [--quiet 20] [--mode both|push|polling]
        [--pg ADMIN_URL]

The service's HTTP app runs under real uvicorn in a process of its own on loopback, against a scratch
PostgreSQL database. ``--screens`` live streams (raw asyncio sockets, as light as a browser's
EventSource) follow one show. For ``--quiet`` seconds nothing changes: the database's committed
transactions over that window (``pg_stat_database.xact_commit`` of the scratch database, which counts
every statement the service runs outside a transaction too) give the queries per second the open
screens cost. Then ``--changes`` advances are posted one a second; for each, the delay from sending
the POST to each screen receiving the new version (a screen that reconnected meanwhile counts when its
first event carries that version or a later one). Printed: p50/p99/max of those delays, how many of
screens x changes arrived, and queries/s. Screens open over ``--ramp`` seconds, so their streams'
lifetimes (``--stream-seconds``, by default the service's) end and reconnect spread out, as in a venue.

Modes: ``push`` is the service as it is (announcements through LISTEN/NOTIFY, one shared version per
show, a safety-net read every ``KARAOKE_SAFETY_NET_SECONDS``). ``polling`` is the baseline from before:
every stream reads its show's version every 0.5 s (the old loop, reproduced by swapping the versions
dependency; nothing else differs). Target (issue 14): 1,000 screens cost no queries/s beyond the safety
net, and a change reaches them all within 300 ms (p99).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx
from sqlalchemy import text

from benchmarks.scratch import DEFAULT_ADMIN_URL, scratch_postgres
from karaoke.cli import freeze_long_lived, server_loop
from karaoke.settings import Settings
from storage import migrate
from storage.db import create_engine

ADMIN = "bench-token"
POLL_SECONDS = 0.5  # what every stream did before
WAIT_SECONDS = 10.0  # a screen that has not heard of a change after this long counts as missing
VERSION = re.compile(rb'"version": (\d+)')


# --- the server process ---------------------------------------------------------------------------


class PollingWatch:
    """The old stream loop: read the version on every look, look every 0.5 s, never woken."""

    def __init__(self, read: Callable[[str], Awaitable[int | None]], show_id: str) -> None:
        self._read, self._show_id = read, show_id

    async def current(self) -> int | None:
        return await self._read(self._show_id)

    async def changed(self, at_most: float) -> bool:
        await asyncio.sleep(min(at_most, POLL_SECONDS))
        return False

    def __enter__(self) -> PollingWatch:
        return self

    def __exit__(self, *_: object) -> None:
        pass


class PollingVersions:
    """Stands in for ``LiveVersions`` with the behaviour before issue 14."""

    max_age = POLL_SECONDS

    def __init__(self, read: Callable[[str], Awaitable[int | None]]) -> None:
        self._read = read

    def watch(self, show_id: str) -> PollingWatch:
        return PollingWatch(self._read, show_id)

    async def version(self, show_id: str) -> int | None:
        return await self._read(show_id)


async def serve(url: str, port: int, mode: str, stream_seconds: float | None) -> None:
    import uvicorn

    from api import deps
    from api.app import create_app
    from karaoke.bootstrap import build

    settings = Settings(database_url=url, admin_token=ADMIN)  # type: ignore[arg-type]
    async with build(settings, upgrade=False) as container:
        await container.search.build()
        freeze_long_lived()  # as ``karaoke serve`` does once the index is built
        app = create_app(container)
        if stream_seconds is not None:
            app.state.stream_timing = deps.StreamTiming(max_seconds=stream_seconds)
        if mode == "polling":
            polling = PollingVersions(container.shows.version)
            app.dependency_overrides[deps._versions] = lambda: polling
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="off", backlog=4096))
        await server.serve()


# --- the driver -----------------------------------------------------------------------------------


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def server_process(url: str, mode: str, stream_seconds: float | None) -> AsyncIterator[int]:
    port = free_port()
    lifetime = [] if stream_seconds is None else ["--stream-seconds", str(stream_seconds)]
    # The server's log (a swamped baseline logs every failed read) goes to a file, not between the figures.
    log = Path(tempfile.gettempdir()) / f"karaoke-push-{mode}.log"
    output = log.open("w")
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", mode, "--serve-url", url, "--serve-port", str(port), *lifetime,
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=output, stderr=output,
    )
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"http://127.0.0.1:{port}/api/v1/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the server never became ready")
        yield port
    finally:
        process.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 10)
        if process.returncode is None:
            process.kill()
            await process.wait()
        output.close()
        errors = log.read_text(errors="replace").count("Traceback")
        if errors:
            print(f"({mode}: the server logged {errors} tracebacks; see {log})", flush=True)


class Screen:
    """One open screen: an SSE stream read from a raw socket, reconnecting when the server ends it."""

    def __init__(self, port: int, show_id: str) -> None:
        self._port, self._show_id = port, show_id
        self.seen: list[tuple[int, float]] = []  # (version, when received)
        self.connected = asyncio.Event()
        self.reconnects = -1

    async def run(self) -> None:
        # ``Connection: close``: the end of a stream is the end of the connection, as EventSource sees it.
        request = (f"GET /api/v1/shows/{self._show_id}/stream HTTP/1.1\r\nHost: bench\r\n"
                   "Accept: text/event-stream\r\nConnection: close\r\n\r\n").encode()
        retry = 1.0
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self._port)
            except OSError:
                await asyncio.sleep(0.5)
                continue
            self.reconnects += 1
            try:
                writer.write(request)
                await writer.drain()
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass  # the headers
                self.connected.set()
                while line := await reader.readline():
                    found = VERSION.search(line)
                    if found:
                        self.seen.append((int(found.group(1)), time.perf_counter()))
                    elif line.startswith(b"retry: "):
                        retry = int(line[7:]) / 1000
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()
            await asyncio.sleep(retry)  # as a browser does: the stream's ``retry`` before reconnecting

    def received(self, version: int, since: float) -> float | None:
        """When this screen first had ``version`` (or a later one) after ``since``."""
        for seen, at in self.seen:
            if seen >= version and at >= since:
                return at
        return None


async def commits(engine: Any) -> int:
    async with engine.connect() as conn:
        value = (await conn.execute(text(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"))).scalar_one()
    return int(value)


async def run_mode(
    admin_url: str, mode: str, screens: int, changes: int, quiet: float, stream_seconds: float | None, ramp: float
) -> dict[str, Any]:
    async with scratch_postgres(admin_url) as url:
        if url is None:
            raise SystemExit("no PostgreSQL")
        engine = create_engine(url)
        await migrate.upgrade(engine)
        try:
            async with server_process(url, mode, stream_seconds) as port:
                return await measure(engine, port, mode, screens, changes, quiet, ramp)
        finally:
            await engine.dispose()


async def measure(
    engine: Any, port: int, mode: str, screens: int, changes: int, quiet: float, ramp: float
) -> dict[str, Any]:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=admin, timeout=30) as http:
        show = (await http.post("/api/v1/shows", json={"name": "Rush Night"})).json()
        show_id = show["show_id"]
        for n in range(changes + 2):
            song = (await http.post("/api/v1/songs", json={"title": f"Song {n}", "artist": "Toto"})).json()
            body = {"singer": {"name": f"Singer {n}"}, "song_id": song["song_id"]}
            (await http.post(f"/api/v1/shows/{show_id}/requests", json=body)).raise_for_status()
        followers = [Screen(port, show_id) for _ in range(screens)]
        tasks = []
        # Screens open over ``ramp`` seconds (a venue's screens and phones do not all open at one instant,
        # so their streams' lifetimes end, and reconnect, spread out as well).
        for start in range(0, screens, 10):
            tasks += [asyncio.create_task(s.run()) for s in followers[start:start + 10]]
            await asyncio.sleep(ramp * 10 / screens)
        try:
            await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in followers)), 120)
            await asyncio.sleep(2.0)  # every screen has its first event; the server settles
            before = await commits(engine)
            began = time.perf_counter()
            await asyncio.sleep(quiet)
            after = await commits(engine)
            per_second = (after - before - 1) / (time.perf_counter() - began)  # minus our own first read
            delays: list[float] = []
            per_change: list[tuple[int, int, int]] = []  # first, median and last screen, ms
            missing = 0
            for _ in range(changes):
                sent = time.perf_counter()
                answer = await http.post(f"/api/v1/shows/{show_id}/advance")
                answer.raise_for_status()
                version = answer.json()["version"]
                give_up = sent + WAIT_SECONDS
                while time.perf_counter() < give_up and any(f.received(version, sent) is None for f in followers):
                    await asyncio.sleep(0.05)
                these = []
                for follower in followers:
                    at = follower.received(version, sent)
                    if at is None:
                        missing += 1
                    else:
                        these.append(at - sent)
                delays += these
                if these:
                    these.sort()
                    per_change.append((round(1000 * these[0]), round(1000 * these[len(these) // 2]),
                                       round(1000 * these[-1])))
                await asyncio.sleep(max(0.0, sent + 1.0 - time.perf_counter()))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    delays.sort()
    # Missing screens count as slower than any that arrived, so they push the percentiles up, not out.
    ranked = delays + [float("inf")] * missing
    return {
        "mode": mode, "screens": screens, "queries_per_s_idle": per_second, "quiet_s": quiet,
        "received": len(delays), "expected": screens * changes, "missing": missing,
        "p50_ms": 1000 * ranked[len(ranked) // 2] if ranked else None,
        "p99_ms": 1000 * ranked[min(len(ranked) - 1, int(len(ranked) * 0.99))] if ranked else None,
        "max_ms": 1000 * delays[-1] if delays else None,
        "reconnects": sum(max(0, s.reconnects) for s in followers),
        "per_change_first_median_last_ms": per_change,
    }


def show(result: dict[str, Any]) -> None:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    print(f"{result['mode']:>8}: {result['screens']} screens, idle {result['queries_per_s_idle']:.1f} queries/s "
          f"over {result['quiet_s']:.0f} s; change -> every screen p50 {ms(result['p50_ms'])}, "
          f"p99 {ms(result['p99_ms'])}, max {ms(result['max_ms'])}; "
          f"{result['received']}/{result['expected']} arrived (within {WAIT_SECONDS:.0f} s); "
          f"{result['reconnects']} stream reconnects", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screens", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--quiet", type=float, default=20.0, help="seconds with nothing changing")
    parser.add_argument("--mode", choices=["both", "push", "polling"], default="both")
    parser.add_argument("--pg", default=DEFAULT_ADMIN_URL, help="an admin URL of the PostgreSQL server")
    parser.add_argument("--json", action="store_true", help="one JSON line per mode as well")
    parser.add_argument("--stream-seconds", type=float, default=None,
                        help="how long one stream lasts before the screen reconnects (default: the service's)")
    parser.add_argument("--ramp", type=float, default=30.0, help="seconds over which the screens open")
    parser.add_argument("--serve", choices=["push", "polling"], help=argparse.SUPPRESS)
    parser.add_argument("--serve-url", help=argparse.SUPPRESS)
    parser.add_argument("--serve-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_open_files()
    if args.serve:
        # On the event loop ``karaoke serve`` runs on (uvloop where installed).
        with asyncio.Runner(loop_factory=server_loop(Settings())) as runner:
            runner.run(serve(args.serve_url, args.serve_port, args.serve, args.stream_seconds))
        return
    modes = ["polling", "push"] if args.mode == "both" else [args.mode]
    for mode in modes:
        result = asyncio.run(run_mode(args.pg, mode, args.screens, args.changes, args.quiet, args.stream_seconds,
                                      args.ramp))
        show(result)
        if args.json:
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
