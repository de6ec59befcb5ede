"""Chat updates handled end to end: stand-in Bot API -> python-telegram-bot -> inbox -> core -> database -> reply.

    .venv/bin/python benchmarks/bots.py [--singers 200] [--db postgresql|sqlite|both] [--pg URL]
        [--limits both|telegram|lifted] [--offer-rate N] [--service-log FILE]

The real service (``karaoke serve`` in its own process, polling mode, the KaraFun catalog) runs
against the stand-in Telegram on loopback. A KJ opens a show; every singer joins by code in a
private chat, requests a song and asks for the queue. For each update: the time from when the
stand-in offered it to when the reply to that chat arrived back. Run twice: with Telegram's
published rate limits (30 messages/s overall caps replies) and with them lifted, which measures
the pipeline itself. By default all 3 x singers updates are offered at once (a burst: the later
ones wait behind the earlier, so p50/p99 mostly measure the queue); ``--offer-rate`` offers them at
a steady rate instead, which measures the latency of one update at that load.
Targets (issue 5): >= 200 updates/s, p99 <= 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx

from benchmarks.scratch import scratch_postgres
from karaoke.settings import DEMO_CATALOG
from storage.db import create_engine
from tests.standins import FakeTelegram

ADMIN = "bench-admin-token-0001"  # serve refuses admin tokens under 16 characters


async def wait_ready(port: int) -> None:
    """Until /readyz says ready: the search index is built and the service is in its steady state."""
    async with httpx.AsyncClient() as http:
        for _ in range(600):
            try:
                if (await http.get(f"http://127.0.0.1:{port}/api/v1/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the service never became ready")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def night(url: str, singers: int, rate_limits: bool, log: Path | None = None,
                offer_rate: float = 0.0) -> dict[str, Any]:
    async with FakeTelegram() as tg:
        # The service runs as its own process, as in production, so it shares no GIL with the stand-in.
        env = os.environ | {
            "KARAOKE_DATABASE_URL": url, "KARAOKE_ADMIN_TOKEN": ADMIN, "KARAOKE_TELEGRAM_TOKEN": tg.token,
            "KARAOKE_TELEGRAM_API_URL": tg.origin, "KARAOKE_RATE_LIMITS": str(rate_limits).lower(),
            "KARAOKE_OUTBOX_POLL_SECONDS": "0.01",
            "KARAOKE_LOG_LEVEL": "WARNING", "PTB_TIMEDELTA": "1",
        }
        port = free_port()
        output: Any = log.open("a") if log is not None else asyncio.subprocess.DEVNULL
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "karaoke.cli", "serve", "--port", str(port), env=env,
            stdout=output, stderr=output, cwd=REPO,
        )
        try:
            kj, bar = tg.user(1, "Kay", "kj"), tg.group(-100, "Bar")
            await wait_ready(port)
            tg.push_message(bar, kj, "/open Bench Night")
            sent = await tg.wait_for_sent(-100, 1, timeout=60)
            if "Join code: " not in sent[0]["text"]:
                raise RuntimeError(f"/open was answered without a join code: {sent[0]['text']!r}")
            code = sent[0]["text"].split("Join code: ")[1][:5]
            titles = ["bohemian rhapsody", "sweet caroline", "dancing queen", "zombie", "wonderwall", "hallelujah"]
            people = [tg.user(1000 + n, f"Singer {n}", f"singer{n}") for n in range(singers)]
            pushed: list[tuple[int, float]] = []
            started = time.monotonic()
            for round_ in range(3):
                for n, person in enumerate(people):
                    if offer_rate > 0:
                        # Offered at a steady rate instead of all at once: the n-th update at n / rate seconds.
                        await asyncio.sleep(max(0.0, started + len(pushed) / offer_rate - time.monotonic()))
                    words = [f"/join {code}", f"/request {titles[n % len(titles)]}", "/queue"][round_]
                    tg.push_message(None, person, words)
                    pushed.append((person["id"], time.monotonic()))
            expected = {p["id"]: 3 for p in people}
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                if all(len(tg.sent_messages(chat)) >= count for chat, count in expected.items()):
                    break
                await asyncio.sleep(0.02)
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            await server.wait()
            if log is not None:
                output.close()
        latencies = []
        replies_by_chat = {chat: [c.time for c in tg.calls_to("sendMessage") if c.params.get("chat_id") == chat]
                           for chat in expected}
        seen: dict[int, int] = {}
        for chat, at in pushed:
            index = seen.get(chat, 0)
            seen[chat] = index + 1
            replies = replies_by_chat[chat]
            if index < len(replies):
                latencies.append(replies[index] - at)
        latencies.sort()
    handled = len(latencies)
    return {
        "updates": len(pushed), "answered": handled, "seconds": elapsed, "rate": handled / elapsed,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000 if latencies else float("nan"),
        "violations": len(tg.rate_violations()),
    }


async def seed_catalog(url: str) -> None:
    env = os.environ | {"KARAOKE_DATABASE_URL": url, "KARAOKE_LOG_LEVEL": "WARNING"}
    importer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "karaoke.cli", "catalog", "import", str(DEMO_CATALOG), env=env, cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
    )
    await importer.wait()


async def migrated(url: str) -> None:
    from storage import migrate

    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--singers", type=int, default=200)
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--limits", choices=["both", "telegram", "lifted"], default="both",
                        help="run with Telegram's rate limits, with them lifted, or both (default)")
    parser.add_argument("--offer-rate", type=float, default=0.0,
                        help="offer the updates at this many per second (default 0: all at once, as a burst)")
    parser.add_argument("--service-log", type=Path, default=None,
                        help="append the service's output (warnings and errors) to this file instead of dropping it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    options: dict[str, Any] = {"log": args.service_log, "offer_rate": args.offer_rate}
    rows = []
    for db in ["postgresql", "sqlite"] if args.db == "both" else [args.db]:
        for limits in {"both": (True, False), "telegram": (True,), "lifted": (False,)}[args.limits]:
            if db == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                    await migrated(url)
                    await seed_catalog(url)
                    rows.append((db, limits, await night(url, args.singers, limits, **options)))
                continue
            async with scratch_postgres(args.pg) as pg_url:
                if pg_url:
                    await migrated(pg_url)
                    await seed_catalog(pg_url)
                    rows.append((db, limits, await night(pg_url, args.singers, limits, **options)))
    offered = f"offered at {args.offer_rate:g}/s" if args.offer_rate > 0 else "offered all at once"
    print(f"\n{args.singers} singers x 3 updates each (join, request, queue), {offered}, one service process")
    header = ("database", "rate limits", "updates", "answered", "updates/s", "p50 ms", "p99 ms", "limit breaches")
    print("{:<11} {:<12} {:>8} {:>9} {:>10} {:>8} {:>8} {:>15}".format(*header))
    for db, limits, r in rows:
        print(f"{db:<11} {'Telegram' if limits else 'lifted':<12} {r['updates']:>8} {r['answered']:>9} "
              f"{r['rate']:>10.0f} {r['p50']:>8.0f} {r['p99']:>8.0f} {r['violations']:>15}")
    print("target (issue 5): >= 200 updates/s, p99 <= 150 ms (update offered -> reply received)")


if __name__ == "__main__":
    asyncio.run(main())
