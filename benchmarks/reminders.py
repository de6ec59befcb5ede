"""Reminders on PostgreSQL with two service instances: how soon a notice reaches the platform, and how many per second.

    .venv/bin/python benchmarks/reminders.py [--pg ADMIN_URL] [--latency-shows 20] [--interval 2]
        [--latency-seconds 20] [--load-shows 40] [--load-interval 1] [--load-seconds 20] [--singers 10]
    [--service-log FILE]

Two ``karaoke serve`` processes (webhook mode, so neither polls; ``KARAOKE_RATE_LIMITS=false``; otherwise
default settings) share a scratch PostgreSQL database (``benchmarks.scratch``) and the stand-in Telegram in
this process, each through its own port, so every send is attributed to the instance that made it. Singers
are Telegram people with private chats; shows are driven through the admin API, each show's commands
going to one instance (alternating between shows). Two phases:

(a) latency: ``--latency-shows`` shows each advance every ``--interval`` seconds (staggered) for
    ``--latency-seconds``. For every notice an advance causes at once (up, next, heads-up, soon): the time
    from the advance's event (``show_events.occurred_at``, which the notice row keeps as ``created_at``) and
    from the moment this script sent ``POST /advance``, to the stand-in's receipt of the ``sendMessage``.
    Target: p99 <= 1 s.
(b) throughput: ``--load-shows`` shows each advance every ``--load-interval`` seconds for ``--load-seconds``,
    all at once; notifications/s is notices received over the phase (first advance sent to last notice
    received), with the same delays under that load. A notice that is settled after its moment passed (the
    show moved on) is dropped, not sent late, so falling behind shows as "dropped" in the settled counts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx
from sqlalchemy import func, insert, select

from benchmarks.scratch import scratch_postgres
from bots.telegram import render
from core.catalog import SongDraft
from core.delivery import reply_from_json
from karaoke.bootstrap import build
from karaoke.settings import Settings
from storage import migrate
from storage.db import create_engine
from storage.tables import chat_people, notices, outbox
from tests.service_process import DoorTelegram, ServiceProcess, free_port

ADMIN = "bench-admin-token-0001"  # serve refuses admin tokens under 16 characters
HEADERS = {"Authorization": f"Bearer {ADMIN}"}
SONGS_PER_SINGER = 3  # the default max_pending


@dataclass
class Show:
    show_id: str
    base: str  # the instance this show's KJ talks to
    advances: list[float] = field(default_factory=list)  # wall time each POST /advance was sent


async def prepare(url: str, songs: int) -> list[str]:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    async with build(Settings(database_url=url), upgrade=False) as container:
        drafts = [SongDraft(title=f"Song {n}", artist=f"Band {n}", duration=240) for n in range(songs)]
        return [(await container.catalog.add_song(draft)).song_id for draft in drafts]


async def seed_people(url: str, tg: DoorTelegram, user_ids: Sequence[int]) -> None:
    """Telegram people who started the bot privately: the stand-in knows their chats, the directory their rooms."""
    for user_id in user_ids:
        tg.private_chat(tg.user(user_id, f"Singer {user_id}", f"singer{user_id}"))
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            rows = [{"platform": "telegram", "user_id": str(u), "name": f"Singer {u}", "username": f"singer{u}",
                     "username_key": f"singer{u}", "is_bot": False, "private_room": str(u), "muted": False}
                    for u in user_ids]
            for start in range(0, len(rows), 500):
                await conn.execute(insert(chat_people), rows[start:start + 500])
    finally:
        await engine.dispose()


async def open_shows(http: httpx.AsyncClient, bases: Sequence[str], count: int, singers: int, first_user: int,
                     songs: Sequence[str], tag: str) -> list[Show]:
    """``count`` shows, each with ``singers`` Telegram singers holding ``SONGS_PER_SINGER`` requests each."""
    async def one(n: int) -> Show:
        base = bases[n % len(bases)]
        answer = await http.post(f"{base}/api/v1/shows", json={"name": f"{tag} {n}"}, headers=HEADERS)
        answer.raise_for_status()
        show = Show(answer.json()["show_id"], base)
        for round_ in range(SONGS_PER_SINGER):
            for s in range(singers):
                user = first_user + n * singers + s
                body = {"singer": {"name": f"Singer {user}", "platform": "telegram", "user_id": str(user)},
                        "song_id": songs[s * SONGS_PER_SINGER + round_]}
                made = await http.post(f"{base}/api/v1/shows/{show.show_id}/requests", json=body, headers=HEADERS)
                made.raise_for_status()
        return show

    shows: list[Show] = []
    for start in range(0, count, 20):
        shows += await asyncio.gather(*(one(n) for n in range(start, min(count, start + 20))))
    return shows


async def advance(http: httpx.AsyncClient, show: Show) -> bool:
    show.advances.append(time.time())
    key = {"Idempotency-Key": f"bench-{show.show_id}-{len(show.advances)}"}
    for attempt in range(3):
        try:
            answer = await http.post(f"{show.base}/api/v1/shows/{show.show_id}/advance", headers=HEADERS | key)
            break
        except httpx.TransportError:  # a connection dropped under load; the idempotency key makes a retry safe
            if attempt == 2:
                raise
            await asyncio.sleep(0.2)
    if answer.status_code == 409:  # the queue is empty
        show.advances.pop()
        return False
    answer.raise_for_status()
    return answer.json().get("now") is not None


async def paced(http: httpx.AsyncClient, shows: Sequence[Show], interval: float, seconds: float) -> None:
    async def run(index: int, show: Show) -> None:
        await asyncio.sleep(interval * index / len(shows))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            if not await advance(http, show):
                return
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    await asyncio.gather(*(run(i, s) for i, s in enumerate(shows)))


async def drained(url: str, tg: DoorTelegram, within: float = 120) -> None:
    """Until every due notice is settled and every queued message was received."""
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with engine.connect() as conn:
                due = (await conn.execute(select(func.count()).select_from(notices).where(
                    notices.c.status == "pending", notices.c.due_at <= datetime.now(UTC)))).scalar_one()
                unsent = (await conn.execute(select(func.count()).select_from(outbox).where(
                    outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None)))).scalar_one()
            if due == 0 and unsent == 0:
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"not drained after {within}s: {due} notices due, {unsent} messages unsent")
    finally:
        await engine.dispose()


@dataclass
class Delivery:
    show_id: str
    kind: str
    event_at: float  # the causing event's occurred_at
    received_at: float  # the stand-in's receipt of the sendMessage
    door: str


async def deliveries(url: str, tg: DoorTelegram) -> list[Delivery]:
    """Every notice message received, joined to its notice (through the outbox row that rendered it)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            notice_rows = {n.key: n for n in (await conn.execute(select(notices))).all()}
            outbox_rows = (await conn.execute(select(outbox.c.key, outbox.c.reply).where(
                outbox.c.key.startswith("notice:")))).all()
    finally:
        await engine.dispose()
    by_message: dict[tuple[str, str], Any] = {}
    for row in outbox_rows:
        for message in render(reply_from_json(row.reply)):
            by_message[(str(message["chat_id"]), message["text"])] = notice_rows[":".join(row.key.split(":")[1:5])]
    found = []
    for call in tg.delivered():
        notice = by_message.get((str(call.params.get("chat_id")), str(call.params.get("text"))))
        # Skipped: replies, and notices due later than their event (a no-show check, a scan's "soon").
        if notice is None or (notice.due_at - notice.created_at).total_seconds() > 0.5:
            continue
        found.append(Delivery(notice.show_id, notice.kind, notice.created_at.timestamp(), call.wall,
                              tg.door_of.get(id(call), "?")))
    return found


def percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {k: float("nan") for k in ("p50", "p95", "p99", "max")}

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1] * 1000}


def since_command(found: Sequence[Delivery], shows: Sequence[Show]) -> list[float]:
    """Delay from the POST /advance that caused each notice (the last one sent before its event)."""
    sent = {s.show_id: sorted(s.advances) for s in shows}
    delays = []
    for d in found:
        before = [t for t in sent.get(d.show_id, []) if t <= d.event_at + 0.005]  # clocks: same machine
        if before:
            delays.append(d.received_at - before[-1])
    return delays


async def outcomes(url: str) -> dict[str, Counter[str]]:
    """Per show: how its notices due at once (up, next, heads-up) were settled."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(notices.c.show_id, notices.c.status, func.count()).where(
                notices.c.kind.in_(["up", "next", "heads_up"])).group_by(notices.c.show_id, notices.c.status))).all()
    finally:
        await engine.dispose()
    found: dict[str, Counter[str]] = {}
    for show_id, status, count in rows:
        found.setdefault(show_id, Counter())[status] += count
    return found


def report(title: str, found: Sequence[Delivery], shows: Sequence[Show], seconds: float,
           statuses: dict[str, Counter[str]]) -> None:
    ids = {s.show_id for s in shows}
    mine = [d for d in found if d.show_id in ids]
    advances = sum(len(s.advances) for s in shows)
    doors = {door: sum(1 for d in mine if d.door == door) for door in sorted({d.door for d in mine})}
    print(f"\n{title}")
    print(f"  {len(shows)} shows, {advances} advances, {len(mine)} notices received in {seconds:.1f} s "
          f"-> {len(mine) / seconds:.0f} notifications/s ({advances / seconds:.0f} advances/s); "
          f"sent by instance: {doors}")
    kinds = {k: sum(1 for d in mine if d.kind == k) for k in sorted({d.kind for d in mine})}
    settled = sum((statuses.get(s.show_id, Counter()) for s in shows), Counter())
    print(f"  received by kind: {kinds}; up/next/heads-up notices settled as: {dict(settled)}")
    print("  {:<34} {:>8} {:>8} {:>8} {:>8}".format("delay (ms)", "p50", "p95", "p99", "max"))
    for label, values in (("event occurred_at -> platform", [d.received_at - d.event_at for d in mine]),
                          ("POST /advance sent -> platform", since_command(mine, shows))):
        p = percentiles(values)
        print(f"  {label:<34} {p['p50']:>8.0f} {p['p95']:>8.0f} {p['p99']:>8.0f} {p['max']:>8.0f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
                        help="an admin URL of a PostgreSQL server; a scratch database is made and dropped")
    parser.add_argument("--latency-shows", type=int, default=20)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between a show's advances in (a)")
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--load-shows", type=int, default=40)
    parser.add_argument("--load-interval", type=float, default=1.0, help="seconds between a show's advances in (b)")
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--singers", type=int, default=10, help="singers per show (3 requests each)")
    parser.add_argument("--service-log", type=Path, default=None, help="the instances' output (default: dropped)")
    args = parser.parse_args()
    async with scratch_postgres(args.pg) as url:
        if url is None:
            return
        songs = await prepare(url, args.singers * SONGS_PER_SINGER)
        async with DoorTelegram() as tg:
            total = (args.latency_shows + args.load_shows) * args.singers
            await seed_people(url, tg, range(10_000, 10_000 + total))
            log = args.service_log or Path(tempfile.mkdtemp(prefix="bench-reminders-")) / "services.log"
            instances = []
            for name in ("a", "b"):
                port = free_port()
                env = {"KARAOKE_DATABASE_URL": url, "KARAOKE_ADMIN_TOKEN": ADMIN, "KARAOKE_TELEGRAM_TOKEN": tg.token,
                       "KARAOKE_TELEGRAM_API_URL": await tg.add_door(name), "KARAOKE_TELEGRAM_MODE": "webhook",
                       "KARAOKE_TELEGRAM_WEBHOOK_SECRET": "bench-secret",
                       "KARAOKE_PUBLIC_URL": f"http://127.0.0.1:{port}", "KARAOKE_RATE_LIMITS": "false",
                       "KARAOKE_LOG_LEVEL": "WARNING"}
                instances.append(ServiceProcess(name, env, log))
                await instances[-1].start(port)
            try:
                bases = [i.url for i in instances]
                limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=2)
                async with httpx.AsyncClient(timeout=60, limits=limits) as http:
                    paced_shows = await open_shows(http, bases, args.latency_shows, args.singers, 10_000, songs,
                                                   "Paced")
                    load_shows = await open_shows(http, bases, args.load_shows, args.singers,
                                                  10_000 + args.latency_shows * args.singers, songs, "Load")
                    await drained(url, tg)
                    started = time.time()
                    await paced(http, paced_shows, args.interval, args.latency_seconds)
                    await drained(url, tg)
                    found = await deliveries(url, tg)
                    paced_ids = {s.show_id for s in paced_shows}
                    paced_end = max(d.received_at for d in found if d.show_id in paced_ids)
                    started_load = time.time()
                    await paced(http, load_shows, args.load_interval, args.load_seconds)
                    await drained(url, tg)
                    found = await deliveries(url, tg)
                    load_ids = {s.show_id for s in load_shows}
                    load_end = max(d.received_at for d in found if d.show_id in load_ids)
                    statuses = await outcomes(url)
            finally:
                for instance in instances:
                    await instance.stop()
            print(f"\nReminders on PostgreSQL, two instances, rate limits lifted ({args.singers} singers a show, "
                  f"{SONGS_PER_SINGER} songs each); services' log: {log}")
            report(f"(a) latency: {args.latency_shows} shows each advancing every {args.interval:g} s",
                   found, paced_shows, paced_end - started, statuses)
            report(f"(b) throughput: {args.load_shows} shows each advancing every {args.load_interval:g} s",
                   found, load_shows, load_end - started_load, statuses)
            print("\ntarget: p99 <= 1 s from the triggering event to the platform call")
            failed = [c for c in tg.calls_to("sendMessage") if not c.ok]
            if failed:
                print(f"warning: {len(failed)} sendMessage calls failed, e.g. {failed[0].error}")


if __name__ == "__main__":
    asyncio.run(main())
