"""Chat updates handled end to end: stand-in Bot API -> python-telegram-bot -> inbox -> core -> database -> reply.

    .venv/bin/python benchmarks/bots.py [--singers 200] [--db postgresql|sqlite|both] [--pg URL]
        [--limits both|telegram|lifted] [--offer-rate N] [--warm-up N] [--runs N] [--service-log FILE]

The real service (``karaoke serve`` in its own process, polling mode, the KaraFun catalog) runs
against the stand-in Telegram on loopback. A KJ opens a show; every singer joins by code in a
private chat, requests a song and asks for the queue. For each update: the time from when the
stand-in offered it to when the reply to that chat arrived back. Run twice: with Telegram's
published rate limits (30 messages/s overall caps replies) and with them lifted, which measures
the pipeline itself. By default all 3 x singers updates are offered at once (a burst: the later
ones wait behind the earlier, so p50/p99 mostly measure the queue); ``--offer-rate`` offers them at
a steady rate instead, which measures the latency of one update at that load. "drained s" is the time
from the first update offered to the last reply received; "CPU ms/update" the service process's CPU
time over the same span per update, which (unlike the rates) hardly depends on what else the machine runs.
Targets (issue 14, limits lifted, PostgreSQL): a burst of 600 updates (``--singers 200``) at >= 200
updates/s, drained in <= 3 s; at ``--offer-rate 100``, p99 <= 150 ms. ``--warm-up N`` has N other singers
go through the same three updates first, untimed: the first updates after a start compile and prepare each
statement (on every pooled connection), which a service that has been up a while no longer pays.

    .venv/bin/python benchmarks/bots.py --rush [--groups 1,5] [--db postgresql|sqlite|both]

The room rush (issue 14) instead: in each of 1 (then 5) groups a KJ opens a show, then 40 singers send
``/request <their song>`` in the group within one second, Telegram's limits kept. For each singer:
the time from sending ``/request`` to the arrival of the group message naming their song; p50/p99,
with replies coalesced (today) and one message per reply (the baseline, KARAOKE_COALESCE_REPLIES=false)
in the same run. Targets: p99 <= 6 s for one group, <= 8 s for 5 groups x 40; no limit broken.

    .venv/bin/python benchmarks/bots.py --rush --platform slack [--groups 1] [--db postgresql|sqlite|both]

The Slack rush (issue 14): in one channel (per group) a KJ opens a show, then 40 singers send
``/karaoke request <their song>`` within one second, as signed requests to ``/slack/events`` from the
stand-in Slack, Slack's limits kept (chat.postMessage one a second per channel). For each singer: the time
from sending the command to the arrival of the answer naming their song (through their command's
response_url, or through the Web API); p50/p99, answered through the commands' own response_urls (today,
KARAOKE_FREE_CHANNELS=true) and everything through the limited Web API (the baseline,
KARAOKE_FREE_CHANNELS=false) in the same run; also the slowest acknowledgement (Slack gives up after 3 s).
Target: p99 <= 3 s; no limit broken.

    .venv/bin/python benchmarks/bots.py --rush --free [--groups 1,5] [--db postgresql|sqlite|both]

The free channels (issue 14) in a rush: in each group 30 of the 40 singers started the bot privately
first; then all 40 send ``/search <their song>`` in the group within one second (an answer for the
asker alone, with buttons: never merged), and then all 40 press a stale button in the group within
one second (answered "That button has expired"). For each singer: /search -> the message with their
buttons (in the group or privately), and press -> their answer (the callback answer's text, or the
group line naming them). With the free channels (press answers as toasts, private answers while the
group is busy) and without (KARAOKE_FREE_CHANNELS=false: every answer a group message, as before).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx

from benchmarks.scratch import scratch_postgres
from karaoke.settings import DEMO_CATALOG
from storage.db import create_engine
from tests.standins import FakeSlack, FakeTelegram

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


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far; NaN where /proc is not there to ask."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def service_process(env: dict[str, str], log: Path | None) -> AsyncIterator[tuple[int, Process]]:
    """``karaoke serve`` in a process of its own on a free port, with ``env``, its output appended to ``log`` (or
    dropped); (port, process) while it runs, ended afterwards."""
    port = free_port()
    output: Any = log.open("a") if log is not None else asyncio.subprocess.DEVNULL
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "karaoke.cli", "serve", "--port", str(port), env=env,
        stdout=output, stderr=output, cwd=REPO,
    )
    try:
        yield port, server
    finally:
        server.terminate()
        await server.wait()
        if log is not None:
            output.close()


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """Python's cyclic garbage collector off (after one collection) for the span, as ``timeit`` does."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def sampling(pid: int, profile: Path | None) -> Process | None:
    """py-spy sampling ``pid`` without pausing it (raw stacks to ``profile``), when a profile is asked for."""
    if profile is None:
        return None
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--nonblocking", "-r", "500",
        "-f", "raw", "-o", str(profile), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await asyncio.sleep(0.5)  # attached before the first update is offered
    return spy


async def sampled(spy: Process | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it sampled and ends
        await spy.wait()


async def night(url: str, singers: int, rate_limits: bool, log: Path | None = None,
                offer_rate: float = 0.0, run: int = 0, profile: Path | None = None, warm_up: int = 0) -> dict[str, Any]:
    # Each run on one database offers updates of its own: an update id seen before is taken for a repeat.
    async with FakeTelegram(first_update_id=700_000_001 + run * 1_000_000) as tg:
        # The service runs as its own process, as in production, so it shares no GIL with the stand-in.
        env = os.environ | {
            "KARAOKE_DATABASE_URL": url, "KARAOKE_ADMIN_TOKEN": ADMIN, "KARAOKE_TELEGRAM_TOKEN": tg.token,
            "KARAOKE_TELEGRAM_API_URL": tg.origin, "KARAOKE_RATE_LIMITS": str(rate_limits).lower(),
            # The outbox poll as shipped (0.2 s): replies are sent when the dispatcher is woken, not found by polling.
            "KARAOKE_LOG_LEVEL": "WARNING", "PTB_TIMEDELTA": "1",
        }
        async with service_process(env, log) as (port, server):
            # A KJ and a bar of their own per run on one database: a person may run only a few open shows
            # at once, and a room one.
            kj, bar = tg.user(1 + run, "Kay", "kj"), tg.group(-100 - run, "Bar")
            await wait_ready(port)
            tg.push_message(bar, kj, "/open Bench Night")
            sent = await tg.wait_for_sent(bar["id"], 1, timeout=60)
            if "Join code: " not in sent[0]["text"]:
                raise RuntimeError(f"/open was answered without a join code: {sent[0]['text']!r}")
            code = sent[0]["text"].split("Join code: ")[1][:5]
            titles = ["bohemian rhapsody", "sweet caroline", "dancing queen", "zombie", "wonderwall", "hallelujah"]
            if warm_up:
                # Early singers, untimed: each statement compiled and prepared on the pool's connections, as in
                # a service that has been up a while (the first updates after a start pay that, once).
                early = [tg.user(900_000 + n, f"Early {n}", f"early{n}") for n in range(warm_up)]
                for round_, words in enumerate([f"/join {code}", "/request africa", "/queue"], start=1):
                    for person in early:
                        tg.push_message(None, person, words)
                    for person in early:
                        await tg.wait_for_sent(person["id"], round_, timeout=60)
            people = [tg.user(1000 + n, f"Singer {n}", f"singer{n}") for n in range(singers)]
            pushed: list[tuple[int, float]] = []
            sampler = await sampling(server.pid, profile)
            cpu_before = cpu_seconds(server.pid)
            # The stand-in stamps each reply as it arrives, in this process: a full collection here (70 ms and
            # more, with every call it has recorded) would count as the service's latency. Off while timing.
            with collector_off():
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
                    # Counted, not copied (``sent_messages`` copies every message): the stand-in shares the
                    # machine with the service, and a check every 20 ms must not take its CPU.
                    if all(len(tg.sent_messages_by_chat.get(chat, ())) >= count for chat, count in expected.items()):
                        break
                    await asyncio.sleep(0.02)
                elapsed = time.monotonic() - started
            # The service's CPU per update: unlike the rates, it hardly moves with what else the machine runs.
            cpu = cpu_seconds(server.pid) - cpu_before
            await sampled(sampler)
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
    # Drained: from the first update offered to the last reply received.
    last_reply = max((times[-1] for times in replies_by_chat.values() if times), default=started)
    return {
        "updates": len(pushed), "answered": handled, "seconds": elapsed, "rate": handled / elapsed,
        "drained": last_reply - started, "cpu_ms": cpu * 1000 / max(1, len(pushed)),
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000 if latencies else float("nan"),
        "violations": len(tg.rate_violations()),
    }


RUSH_SONGS = ["Avalanche", "Butterfly", "Cathedral", "Dandelion", "Earthquake", "Firefly", "Glacier", "Harbour",
              "Iceberg", "Jasmine", "Kaleidoscope", "Lighthouse", "Marigold", "Nightingale", "Orchard", "Pelican",
              "Quicksand", "Raindrop", "Sunflower", "Thunderbolt", "Umbrella", "Volcano", "Waterfall", "Xylophone",
              "Yesterday Morning", "Zeppelin", "Anchor", "Blizzard", "Cinnamon", "Driftwood", "Emerald", "Flamingo",
              "Gondola", "Hurricane", "Ivory", "Juniper", "Kingfisher", "Lantern", "Mandolin", "Nebula"]


def rush_catalog(folder: Path) -> Path:
    """A catalogue of the rush's 40 songs (a song is queued once per show, so each singer asks for their own)."""
    path = folder / "rush.csv"
    rows = [f"{9000 + n};{title};The Band {n};2020;0;0;2020-01-01;Pop;English" for n, title in enumerate(RUSH_SONGS)]
    path.write_text('Id;Title;Artist;Year;Duo;Explicit;"Date Added";Styles;Languages\n' + "\n".join(rows) + "\n")
    return path


async def rush(url: str, groups: int, coalescing: bool, log: Path | None = None) -> dict[str, Any]:
    """40 singers per group send /request within one second; per singer, /request -> the message naming their song."""
    async with FakeTelegram() as tg:
        env = os.environ | {
            "KARAOKE_DATABASE_URL": url, "KARAOKE_ADMIN_TOKEN": ADMIN, "KARAOKE_TELEGRAM_TOKEN": tg.token,
            "KARAOKE_TELEGRAM_API_URL": tg.origin, "KARAOKE_RATE_LIMITS": "true",
            "KARAOKE_COALESCE_REPLIES": str(coalescing).lower(), "KARAOKE_OUTBOX_POLL_SECONDS": "0.05",
            "KARAOKE_LOG_LEVEL": "WARNING", "PTB_TIMEDELTA": "1",
        }
        pushed: list[tuple[int, str, float]] = []  # (group, song, sent at)
        async with service_process(env, log) as (port, _):
            await wait_ready(port)
            rooms = [-2000 - g for g in range(groups)]
            for g, room in enumerate(rooms):
                tg.push_message(tg.group(room, f"Bar {g}"), tg.user(10 + g, f"KJ {g}", f"kj{g}"), "/open Rush")
            for room in rooms:
                await tg.wait_for_sent(room, 1, timeout=60)
            singers = [(room, tg.user(1000 + g * 100 + n, f"Singer {g}-{n}"), n)
                       for n in range(len(RUSH_SONGS)) for g, room in enumerate(rooms)]
            started = time.monotonic()
            for index, (room, person, n) in enumerate(singers):
                # All of them within one second, evenly.
                await asyncio.sleep(max(0.0, started + index / len(singers) - time.monotonic()))
                tg.push_message(room, person, f"/request {RUSH_SONGS[n].lower()}")
                pushed.append((room, f"{RUSH_SONGS[n]} — The Band {n}", time.monotonic()))
            deadline = time.monotonic() + 400

            def unanswered() -> list[tuple[int, str, float]]:
                said = {room: "\n".join(m.get("text", "") for m in tg.sent_messages(room)) for room in rooms}
                return [p for p in pushed if p[1] not in said[p[0]]]

            while time.monotonic() < deadline and unanswered():
                await asyncio.sleep(0.05)
        latencies = []
        for room, song, at in pushed:
            arrivals = [c.time for c in tg.calls_to("sendMessage")
                        if c.params.get("chat_id") == room and song in str(c.params.get("text", ""))]
            if arrivals:
                latencies.append(arrivals[0] - at)
        latencies.sort()
        messages = sum(len(tg.sent_messages(room)) for room in rooms) - groups  # less the /open answers
    return {
        "singers": len(pushed), "answered": len(latencies), "messages": messages,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else float("nan"),
        "max": latencies[-1] if latencies else float("nan"),
        "violations": len(tg.rate_violations()),
    }


async def slack_rush(url: str, channels: int, free_channels: bool, log: Path | None = None) -> dict[str, Any]:
    """40 singers per channel send /karaoke request within one second; per singer, command -> the answer naming
    their song, wherever it arrives (their response_url, chat.postMessage or chat.postEphemeral)."""
    async with FakeSlack() as slack:
        env = os.environ | {
            "KARAOKE_DATABASE_URL": url, "KARAOKE_ADMIN_TOKEN": ADMIN, "KARAOKE_SLACK_BOT_TOKEN": slack.token,
            "KARAOKE_SLACK_SIGNING_SECRET": slack.signing_secret, "KARAOKE_SLACK_API_URL": slack.base_url,
            "KARAOKE_RATE_LIMITS": "true", "KARAOKE_FREE_CHANNELS": str(free_channels).lower(),
            "KARAOKE_OUTBOX_POLL_SECONDS": "0.05", "KARAOKE_LOG_LEVEL": "WARNING",
        }
        rooms = [f"C0RUSH{g}" for g in range(channels)]
        # (channel, user, song, response_url, sent at)
        pushed: list[tuple[str, str, str, str, float]] = []
        acks: list[float] = []
        async with service_process(env, log) as (port, _):
            events = f"http://127.0.0.1:{port}/slack/events"
            await wait_ready(port)
            for g, room in enumerate(rooms):
                opening = await slack.deliver(events, "command", text="open Rush", user_id=f"U0KJ{g}",
                                              user_name=f"kj{g}", channel_id=room, channel_name=room.lower())
                if opening.status != 200 or opening.response_url is None:
                    raise RuntimeError(f"/open was refused: {opening.status} {opening.text}")
                await _slack_said(slack, room, opening.response_url, f"U0KJ{g}", "Join code", 60)
            singers = [(room, f"U{g}S{n:03d}", n) for n in range(len(RUSH_SONGS)) for g, room in enumerate(rooms)]
            for _, user, _ in singers:
                slack.add_user(user, f"singer{user.lower()}", real_name=f"Singer {user}")
            started = time.monotonic()

            async def command(index: int, room: str, user: str, n: int) -> None:
                # All of them within one second, evenly.
                await asyncio.sleep(max(0.0, started + index / len(singers) - time.monotonic()))
                response_url = slack.response_url()
                at = time.monotonic()
                pushed.append((room, user, f"{RUSH_SONGS[n]} — The Band {n}", response_url, at))
                delivery = await slack.deliver(events, "command", text=f"request {RUSH_SONGS[n].lower()}",
                                               user_id=user, user_name=f"singer{user.lower()}", channel_id=room,
                                               channel_name=room.lower(), response_url=response_url)
                acks.append(delivery.elapsed if delivery.status == 200 else float("inf"))

            await asyncio.gather(*(command(i, room, user, n) for i, (room, user, n) in enumerate(singers)))
            deadline = time.monotonic() + 400
            while time.monotonic() < deadline and any(
                    _slack_answered(slack, room, response_url, user, song) is None
                    for room, user, song, response_url, _ in pushed):
                await asyncio.sleep(0.05)
        latencies = []
        for room, user, song, response_url, at in pushed:
            arrived = _slack_answered(slack, room, response_url, user, song)
            if arrived is not None:
                latencies.append(arrived - at)
        latencies.sort()
        through_urls = sum(1 for r in slack.responses if any(r.url == p[3] for p in pushed))
    return {
        "singers": len(pushed), "answered": len(latencies), "by_url": through_urls,
        "by_api": len(latencies) - through_urls,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else float("nan"),
        "max": latencies[-1] if latencies else float("nan"),
        "ack_max": max(acks) if acks else float("nan"),
        "violations": len(slack.rate_violations()),
    }


def _slack_answered(slack: FakeSlack, room: str, response_url: str, user: str, song: str) -> float | None:
    """When the first message naming ``song`` reached ``user`` in ``room`` (any way Slack takes one), or None."""
    times = [r.time for r in slack.responses if r.url == response_url and song in str(r.body.get("text", ""))]
    times += [c.time for c in slack.calls if c.ok and c.params.get("channel") == room
              and song in str(c.params.get("text", ""))
              and (c.method == "chat.postMessage"
                   or (c.method == "chat.postEphemeral" and c.params.get("user") == user))]
    return min(times) if times else None


async def _slack_said(slack: FakeSlack, room: str, response_url: str, user: str, phrase: str, within: float) -> None:
    deadline = time.monotonic() + within
    while _slack_answered(slack, room, response_url, user, phrase) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no answer saying {phrase!r} in {room}")
        await asyncio.sleep(0.05)


STARTED = 30  # of each group's forty, these started the bot before the night


async def rush_free(url: str, groups: int, free: bool, log: Path | None = None) -> dict[str, Any]:
    """Per group 40 singers (30 started the bot) /search in the group, then press a stale button, within 1 s each."""
    async with FakeTelegram() as tg:
        env = os.environ | {
            "KARAOKE_DATABASE_URL": url, "KARAOKE_ADMIN_TOKEN": ADMIN, "KARAOKE_TELEGRAM_TOKEN": tg.token,
            "KARAOKE_TELEGRAM_API_URL": tg.origin, "KARAOKE_RATE_LIMITS": "true",
            "KARAOKE_FREE_CHANNELS": str(free).lower(), "KARAOKE_OUTBOX_POLL_SECONDS": "0.05",
            "KARAOKE_LOG_LEVEL": "WARNING", "PTB_TIMEDELTA": "1",
        }
        searched: list[tuple[int, int, str, float]] = []  # (group, singer id, song, sent at)
        pressed: list[tuple[int, int, str, float]] = []  # (group, singer id, query id, pressed at)
        async with service_process(env, log) as (port, _):
            await wait_ready(port)
            rooms = [-3000 - g for g in range(groups)]
            singers = [(room, tg.user(5000 + g * 100 + n, f"Singer {g}-{n}"), n)
                       for n in range(len(RUSH_SONGS)) for g, room in enumerate(rooms)]
            for _, person, n in singers:
                if n < STARTED:
                    tg.push_message(None, person, "/start")
            for _, person, n in singers:
                if n < STARTED:
                    await tg.wait_for_sent(person["id"], 1, timeout=120)
            for g, room in enumerate(rooms):
                tg.push_message(tg.group(room, f"Bar {g}"), tg.user(20 + g, f"KJ {g}", f"kj{g}"), "/open Rush")
            for room in rooms:
                await tg.wait_for_sent(room, 1, timeout=60)
            await asyncio.sleep(1.1)  # the group's next second: its slot is free when the rush begins

            def buttons_for(chat: int, song: str) -> bool:
                return any("reply_markup" in m and song in m["reply_markup"]["inline_keyboard"][0][0]["text"]
                           for m in tg.sent_messages(chat))

            started = time.monotonic()
            for index, (room, person, n) in enumerate(singers):
                await asyncio.sleep(max(0.0, started + index / len(singers) - time.monotonic()))
                tg.push_message(room, person, f"/search {RUSH_SONGS[n].lower()}")
                searched.append((room, person["id"], f"{RUSH_SONGS[n]} — The Band {n}", time.monotonic()))
            deadline = time.monotonic() + 400
            while time.monotonic() < deadline and not all(
                    buttons_for(room, song) or buttons_for(who, song) for room, who, song, _ in searched):
                await asyncio.sleep(0.05)
            search_done = len(tg.calls_to("sendMessage"))

            started = time.monotonic()
            for index, (room, person, _) in enumerate(singers):
                await asyncio.sleep(max(0.0, started + index / len(singers) - time.monotonic()))
                update = tg.push_callback(room, person, 1, f"c:stale-{person['id']}")
                pressed.append((room, person["id"], update["callback_query"]["id"], time.monotonic()))

            def heard(room: int, who: int, query: str) -> float | None:
                for answer in tg.calls_to("answerCallbackQuery"):
                    if answer.ok and answer.params.get("callback_query_id") == query and answer.params.get("text"):
                        return answer.time
                for call in tg.calls_to("sendMessage")[search_done:]:
                    if call.ok and call.params.get("chat_id") in (room, who) and "expired" in str(call.params):
                        mentions = call.params.get("entities") or []
                        if not mentions or any(e.get("user", {}).get("id") == who for e in mentions):
                            return call.time
                return None

            deadline = time.monotonic() + 400
            while time.monotonic() < deadline and any(heard(*p[:3]) is None for p in pressed):
                await asyncio.sleep(0.05)

        def arrival(room: int, who: int, song: str) -> float | None:
            for call in tg.calls_to("sendMessage"):
                markup = str(call.params.get("reply_markup"))
                if call.ok and call.params.get("chat_id") in (room, who) and song in markup:
                    return call.time
            return None

        search_latencies = sorted(at - sent for room, who, song, sent in searched
                                  if (at := arrival(room, who, song)) is not None)
        press_latencies = sorted(at - sent for room, who, query, sent in pressed
                                 if (at := heard(room, who, query)) is not None)
        messages = sum(len(tg.sent_messages(room)) for room in rooms) - groups
        privately = sum(1 for _, who, song, _ in searched if buttons_for(who, song))

    def pct(values: list[float], q: float) -> float:
        return values[max(0, int(len(values) * q) - 1)] if values else float("nan")

    return {
        "singers": len(searched), "searched": len(search_latencies), "privately": privately,
        "search_p50": statistics.median(search_latencies) if search_latencies else float("nan"),
        "search_p99": pct(search_latencies, 0.99),
        "pressed": len(press_latencies),
        "press_p50": statistics.median(press_latencies) if press_latencies else float("nan"),
        "press_p99": pct(press_latencies, 0.99),
        "messages": messages, "violations": len(tg.rate_violations()),
    }


async def seed_catalog(url: str, catalog: Path = DEMO_CATALOG) -> None:
    env = os.environ | {"KARAOKE_DATABASE_URL": url, "KARAOKE_LOG_LEVEL": "WARNING"}
    importer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "karaoke.cli", "catalog", "import", str(catalog), env=env, cwd=REPO,
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
    parser.add_argument("--runs", type=int, default=1,
                        help="run each case this many times on one seeded database (figures vary on a busy machine)")
    parser.add_argument("--service-log", type=Path, default=None,
                        help="append the service's output (warnings and errors) to this file instead of dropping it")
    parser.add_argument("--rush", action="store_true",
                        help="the room rush instead: 40 singers per group request within 1 s, limits kept")
    parser.add_argument("--groups", default=None,
                        help="with --rush: the numbers of groups (Slack: channels) to run "
                             "(default 1,5 on Telegram, 1 on Slack)")
    parser.add_argument("--platform", choices=["telegram", "slack"], default="telegram",
                        help="with --rush: the platform whose rush to run (default telegram)")
    parser.add_argument("--free", action="store_true",
                        help="with --rush: /search and button presses instead, with and without the free channels")
    parser.add_argument("--warm-up", type=int, default=0, metavar="N",
                        help="before timing, N other singers join, request and ask for the queue, each round answered "
                             "(default 0: the timed updates are the first the service handles)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="sample the service with py-spy (pip install py-spy) while it works, raw stacks to this "
                             "file (the last run's)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    if args.rush:
        await rush_main(args)
        return
    options: dict[str, Any] = {"log": args.service_log, "offer_rate": args.offer_rate, "profile": args.profile,
                               "warm_up": args.warm_up}
    rows = []
    for db in ["postgresql", "sqlite"] if args.db == "both" else [args.db]:
        for limits in {"both": (True, False), "telegram": (True,), "lifted": (False,)}[args.limits]:
            if db == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                    await migrated(url)
                    await seed_catalog(url)
                    for run in range(args.runs):
                        rows.append((db, limits, await night(url, args.singers, limits, run=run, **options)))
                continue
            async with scratch_postgres(args.pg) as pg_url:
                if pg_url:
                    await migrated(pg_url)
                    await seed_catalog(pg_url)
                    for run in range(args.runs):
                        rows.append((db, limits, await night(pg_url, args.singers, limits, run=run, **options)))
    offered = f"offered at {args.offer_rate:g}/s" if args.offer_rate > 0 else "offered all at once"
    warmed = f", after {args.warm_up} untimed singers did the same" if args.warm_up else ""
    print(f"\n{args.singers} singers x 3 updates each (join, request, queue), {offered}{warmed}, one service process")
    header = ("database", "rate limits", "updates", "answered", "updates/s", "drained s", "p50 ms", "p99 ms",
              "CPU ms/update", "limit breaches")
    print("{:<11} {:<12} {:>8} {:>9} {:>10} {:>10} {:>8} {:>8} {:>14} {:>15}".format(*header))
    for db, limits, r in rows:
        print(f"{db:<11} {'Telegram' if limits else 'lifted':<12} {r['updates']:>8} {r['answered']:>9} "
              f"{r['rate']:>10.0f} {r['drained']:>10.2f} {r['p50']:>8.0f} {r['p99']:>8.0f} {r['cpu_ms']:>14.1f} "
              f"{r['violations']:>15}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("targets (issue 14), limits lifted, on PostgreSQL: offered at once (--singers 200: 600 updates) >= 200 "
          "updates/s and drained in <= 3 s;\n  offered at --offer-rate 100: p99 <= 150 ms (update offered -> reply "
          "received)")


# One rush scenario: (database url, groups, the switch under test, service log) -> its figures.
RushRun = Callable[[str, int, bool, Path | None], Awaitable[dict[str, Any]]]


async def each_rush_database(args: argparse.Namespace, groups: str, run: RushRun) -> list[tuple[str, int, bool, Any]]:
    """(database, groups, switch, result) of ``run(url, groups, switch, log)`` for each database and number of
    groups in ``groups``, with the switch on and off, each on a fresh database seeded with the rush catalog."""
    rows: list[tuple[str, int, bool, Any]] = []
    for db in ["postgresql", "sqlite"] if args.db == "both" else [args.db]:
        for count in [int(g) for g in groups.split(",")]:
            for switch in (True, False):
                with tempfile.TemporaryDirectory() as tmp:
                    catalog = rush_catalog(Path(tmp))
                    if db == "sqlite":
                        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
                        await migrated(url)
                        await seed_catalog(url, catalog)
                        rows.append((db, count, switch, await run(url, count, switch, args.service_log)))
                        continue
                    async with scratch_postgres(args.pg) as pg_url:
                        if pg_url:
                            await migrated(pg_url)
                            await seed_catalog(pg_url, catalog)
                            rows.append((db, count, switch, await run(pg_url, count, switch, args.service_log)))
    return rows


async def rush_main(args: argparse.Namespace) -> None:
    if args.platform == "slack":
        await slack_rush_main(args)
        return
    args.groups = args.groups or "1,5"
    if args.free:
        await rush_free_main(args)
        return
    rows = await each_rush_database(args, args.groups, rush)
    print(f"\nroom rush: {len(RUSH_SONGS)} singers per group send /request within 1 s, Telegram's limits kept")
    header = ("database", "groups", "replies", "singers", "answered", "messages", "p50 s", "p99 s", "max s", "breaches")
    print("{:<11} {:>6} {:<10} {:>8} {:>9} {:>9} {:>7} {:>7} {:>7} {:>9}".format(*header))
    for db, groups, coalescing, r in rows:
        print(f"{db:<11} {groups:>6} {'coalesced' if coalescing else 'one each':<10} {r['singers']:>8} "
              f"{r['answered']:>9} {r['messages']:>9} {r['p50']:>7.1f} {r['p99']:>7.1f} {r['max']:>7.1f} "
              f"{r['violations']:>9}")
    print("targets (issue 14): p99 <= 6 s for one group, <= 8 s for 5 groups x 40; no limit broken")


async def slack_rush_main(args: argparse.Namespace) -> None:
    rows = await each_rush_database(args, args.groups or "1", slack_rush)
    print(f"\nSlack rush: {len(RUSH_SONGS)} singers per channel send /karaoke request within 1 s, Slack's limits kept")
    header = ("database", "channels", "answers", "singers", "answered", "by url", "by api", "p50 s", "p99 s",
              "max s", "ack max s", "breaches")
    print("{:<11} {:>8} {:<14} {:>8} {:>9} {:>7} {:>7} {:>7} {:>7} {:>7} {:>10} {:>9}".format(*header))
    for db, channels, free, r in rows:
        print(f"{db:<11} {channels:>8} {'response_url' if free else 'Web API only':<14} {r['singers']:>8} "
              f"{r['answered']:>9} {r['by_url']:>7} {r['by_api']:>7} {r['p50']:>7.2f} {r['p99']:>7.2f} "
              f"{r['max']:>7.2f} {r['ack_max']:>10.2f} {r['violations']:>9}")
    print("target (issue 14): p99 <= 3 s for 40 commands in one channel; no limit broken")



async def rush_free_main(args: argparse.Namespace) -> None:
    rows = await each_rush_database(args, args.groups, rush_free)
    print(f"\nfree channels in a rush: {len(RUSH_SONGS)} singers per group ({STARTED} started the bot) send /search "
          "in the group within 1 s, then press a stale button within 1 s; Telegram's limits kept")
    header = ("database", "groups", "channels", "singers", "answered", "private", "search p50", "search p99",
              "press p50", "press p99", "group msgs", "breaches")
    print("{:<11} {:>6} {:<9} {:>8} {:>9} {:>8} {:>11} {:>11} {:>10} {:>10} {:>11} {:>9}".format(*header))
    for db, groups, free, r in rows:
        answered = f"{r['searched']}/{r['pressed']}"
        print(f"{db:<11} {groups:>6} {'free' if free else 'group':<9} {r['singers']:>8} {answered:>9} "
              f"{r['privately']:>8} {r['search_p50']:>10.1f}s {r['search_p99']:>10.1f}s {r['press_p50']:>9.1f}s "
              f"{r['press_p99']:>9.1f}s {r['messages']:>11} {r['violations']:>9}")
    print("answered: /search answers / press answers heard (of 'singers' each); private: /search answered privately")


if __name__ == "__main__":
    asyncio.run(main())
