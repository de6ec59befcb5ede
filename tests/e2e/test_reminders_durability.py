"""Reminders survive kill -9 and run on two instances at once: every notice reaches its singer exactly once.

The service runs as real OS processes (``python -m karaoke.cli serve``) on PostgreSQL against a stand-in
Telegram in this process, which can hold or fail ``sendMessage`` and tells which instance made each call
(``tests.service_process``).

What "exactly once" can and cannot mean here. A notice is settled into outbox rows in one transaction and
each outbox key is unique, so re-settling after a crash queues nothing twice, and a row marked sent is never
sent again. The one unavoidable window is between Telegram accepting a message and our ``sent_at`` mark
being committed: a process killed inside it leaves the row unmarked, its lease runs out and the message
goes out again (at-least-once there, as with any sender that cannot make the platform's write and its own
atomic). The kill points below stay out of that window on purpose, so the tests are deterministic: before
each kill the stand-in holds (or fails) every new ``sendMessage``, so nothing is in flight *at the
platform*, and we wait until every message it did accept is marked sent. Everything else the process was
doing (claimed notices, half-settled batches, claimed and held outbox rows, unhandled updates) dies with it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.telegram import WEBHOOK_PATH, render
from core.catalog import SongDraft
from core.delivery import reply_from_json
from karaoke.bootstrap import build
from storage.db import create_engine
from storage.tables import inbox, notices, outbox
from tests.conftest import ADMIN_TOKEN, _truncate, settings_for
from tests.e2e.waiting import eventually as eventually_within
from tests.e2e.waiting import texts
from tests.service_process import DoorTelegram, ServiceProcess, free_port


# Starting and killing a real process takes longer than a call in-process: a longer default wait.
async def eventually(check: Callable[[], Awaitable[bool] | bool], what: str = "", *, within: float = 20.0) -> None:
    """``tests.e2e.waiting.eventually`` with the patience several processes on one database need."""
    await eventually_within(check, what, within=within)


def shown(tg: Any, chat: int, needle: str, skip: int = 0) -> Callable[[], bool]:
    """Whether ``needle`` is in a message the stand-in Telegram got for ``chat`` (past the first ``skip``)."""
    return lambda: any(needle in text for text in texts(tg, chat)[skip:])

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SONGS = [("Bohemian Rhapsody", "Queen"), ("Dreams", "Fleetwood Mac"), ("Sweet Caroline", "Neil Diamond"),
         ("Zombie", "The Cranberries"), ("Wonderwall", "Oasis"), ("Hallelujah", "Leonard Cohen"),
         ("Dancing Queen", "ABBA"), ("Africa", "Toto"), ("Valerie", "Amy Winehouse"), ("Creep", "Radiohead")]
NAMES = ["Ann", "Bob", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon"]
# How the singers' notices begin (core/reminders/ticker.py), to tell them from command replies.
NOTICE_OPENINGS = ("You're up now", "You're next", "Heads-up", "Your turn is coming", "You didn't answer")
WEBHOOK_SECRET = "durability-secret"


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """The session's PostgreSQL database, emptied, seeded with the songs, and an engine to inspect it."""
    await _truncate(pg_url)
    async with build(settings_for(pg_url), upgrade=False) as container:
        for title, artist in SONGS:
            await container.catalog.add_song(SongDraft(title=title, artist=artist, duration=240))
    engine = create_engine(pg_url)
    try:
        yield pg_url, engine
    finally:
        await engine.dispose()


@pytest.fixture
async def tg() -> AsyncIterator[DoorTelegram]:
    async with DoorTelegram() as fake:
        yield fake


def service_env(url: str, tg: DoorTelegram, api_url: str, **extra: str) -> dict[str, str]:
    return {
        "KARAOKE_DATABASE_URL": url, "KARAOKE_ADMIN_TOKEN": ADMIN_TOKEN, "KARAOKE_TELEGRAM_TOKEN": tg.token,
        "KARAOKE_TELEGRAM_API_URL": api_url, "KARAOKE_OUTBOX_POLL_SECONDS": "0.05", "KARAOKE_LOG_LEVEL": "INFO",
        **extra,
    }




def is_notice(words: object) -> bool:
    return isinstance(words, str) and words.startswith(NOTICE_OPENINGS)


def rendered(reply_json: Any) -> list[tuple[str, str]]:
    """The (chat id, text) pairs an outbox row's reply goes out as on Telegram."""
    return [(str(m["chat_id"]), m["text"]) for m in render(reply_from_json(reply_json))]


def delivered_pairs(tg: DoorTelegram) -> Counter[tuple[str, str]]:
    return Counter((str(c.params.get("chat_id")), str(c.params.get("text"))) for c in tg.delivered())


async def scalar(engine: AsyncEngine, query: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def marks_caught_up(engine: AsyncEngine, tg: DoorTelegram) -> bool:
    """Every message the platform accepted is marked sent in the outbox (no send in the at-least-once window)."""
    sent = await scalar(engine, select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_not(None)))
    return sent >= len(tg.delivered())


async def quiet(engine: AsyncEngine, tg: DoorTelegram) -> bool:
    """Nothing due is left: updates handled, due notices settled, every queued message sent and marked."""
    if tg.pending_updates:
        return False
    now = datetime.now(UTC)
    due = await scalar(engine, select(func.count()).select_from(notices).where(
        notices.c.status == "pending", notices.c.due_at <= now))
    unsent = await scalar(engine, select(func.count()).select_from(outbox).where(
        outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None)))
    unhandled = await scalar(engine, select(func.count()).select_from(inbox).where(inbox.c.handled_at.is_(None)))
    return due == 0 and unsent == 0 and unhandled == 0 and await marks_caught_up(engine, tg)


async def claimed_unsettled(engine: AsyncEngine) -> bool:
    return await scalar(engine, select(func.count()).select_from(notices).where(
        notices.c.status == "pending", notices.c.attempts > 0, notices.c.due_at <= datetime.now(UTC))) > 0


async def backlog(engine: AsyncEngine) -> dict[str, int]:
    """What a killed instance leaves behind: due notices not settled, notice messages queued but not sent."""
    now = datetime.now(UTC)
    return {
        "due notices unsettled": await scalar(engine, select(func.count()).select_from(notices).where(
            notices.c.status == "pending", notices.c.due_at <= now)),
        "notice messages unsent": await scalar(engine, select(func.count()).select_from(outbox).where(
            outbox.c.key.startswith("notice:"), outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))),
    }


async def outlive_leases(engine: AsyncEngine) -> None:
    """Stand in for the service staying down longer than its leases (outbox and inbox 60 s, notices 30 s).

    Only leases move; a message waiting out a platform failure keeps its (few seconds of) back-off.
    Times are the service's clock, as this process reads it, not the database server's: the two need not
    agree (under faketime they are a year apart).
    """
    now = datetime.now(UTC)
    times = {"now": now, "soon": now + timedelta(seconds=10)}
    async with engine.begin() as conn:
        await conn.execute(text(
            "UPDATE outbox SET available_at = :now WHERE sent_at IS NULL AND failed_at IS NULL"
            " AND available_at > :soon"), times)
        await conn.execute(text(
            "UPDATE notices SET available_at = :now WHERE status = 'pending' AND attempts > 0"
            " AND available_at > due_at AND available_at > :soon"), times)
        await conn.execute(text(
            "UPDATE inbox SET available_at = :now WHERE handled_at IS NULL AND available_at > :soon"), times)


async def assert_each_notice_delivered_exactly_once(engine: AsyncEngine, tg: DoorTelegram) -> int:
    """The notices table, the outbox and what the platform received agree; returns how many notices were sent."""
    async with engine.connect() as conn:
        notice_rows = (await conn.execute(select(notices))).all()
        outbox_rows = (await conn.execute(select(outbox))).all()
    delivered = delivered_pairs(tg)
    messages: dict[str, list[Any]] = {}
    for row in outbox_rows:
        if row.key.startswith("notice:"):
            # notice:{show}:{request}:{kind}:{skips}[#telling][:kj:…|:room:…|:fix:…]
            messages.setdefault(":".join(row.key.split(":")[1:5]).split("#")[0], []).append(row)
    statuses = {n.key: n.status for n in notice_rows}
    sent = [n for n in notice_rows if n.status in ("sent", "skipped")]
    assert sent, "the night produced no notices at all"
    for n in sent:
        assert messages.get(n.key), f"notice {n.key} is '{n.status}' but queued no message"
    expected: Counter[tuple[str, str]] = Counter()
    for key, rows in messages.items():
        # A revise notice is settled "done" with the corrections it queued.
        settled = ("done",) if key.split(":")[2] == "revise" else ("sent", "skipped")
        assert statuses.get(key) in settled, f"{key} queued messages but is '{statuses.get(key)}'"
        for row in rows:
            assert row.sent_at is not None and row.failed_at is None, f"{row.key} never went out ({row.last_error})"
            expected.update(rendered(row.reply))
    for pair, count in expected.items():
        assert delivered[pair] == count, f"{pair} should have arrived {count}x, arrived {delivered[pair]}x"
    strays = [pair for pair in delivered if is_notice(pair[1]) and pair not in expected]
    assert not strays, f"notices that arrived without an outbox row: {strays}"
    assert max(expected.values()) == 1, "two notices rendered the same (chat, text): the check above is ambiguous"
    # And the same for every reply, notices or not: each outbox row reached the platform once.
    # Rows of one chat marked sent in one write were one coalesced message (short answers to a group).
    together: Counter[tuple[str, Any]] = Counter((r.chat, r.sent_at) for r in outbox_rows if r.sent_at is not None)
    queued = sum(len(rendered(r.reply)) for r in outbox_rows if r.sent_at is not None
                 and together[(r.chat, r.sent_at)] == 1) + sum(1 for rows in together.values() if rows > 1)
    assert queued == sum(delivered.values()), f"{queued} messages marked sent, {sum(delivered.values())} arrived"
    return len(sent)


# --- 1. kill -9 ---------------------------------------------------------------------------------


async def test_reminders_survive_kill_9_mid_burst_mid_outage_and_mid_update(
    db: tuple[str, AsyncEngine], tg: DoorTelegram, tmp_path: Path
) -> None:
    url, engine = db
    service = ServiceProcess("service", service_env(url, tg, tg.origin), tmp_path / "service.log")
    kj, bar = tg.user(1, "Kay", "kay_jay"), tg.group(-1001, "The Bar")
    singers = [tg.user(101 + i, name, name.lower()) for i, name in enumerate(NAMES)]
    try:
        await service.start()
        tg.push_message(bar, kj, "/open Durable Night")
        await eventually(lambda: any("Join code" in t for t in texts(tg, -1001)), "the join code")
        code = next(t for t in texts(tg, -1001) if "Join code" in t).split("Join code: ")[1][:5]
        for singer in singers:
            tg.push_message(None, singer, f"/start {code}")
        for singer in singers:
            await eventually(shown(tg, singer["id"], "Durable Night"), "joined")
        # One after another, so the rotation order (and who hears what after each /next) is always the same.
        for singer, (title, artist) in zip(singers, SONGS, strict=True):
            tg.push_message(None, singer, f"/request {title} {artist}")
            await eventually(shown(tg, singer["id"], title, skip=1), "queued")

        async def next_song() -> dict[str, Any]:
            return tg.push_message(bar, kj, "/next")

        await next_song()
        await eventually(lambda: quiet(engine, tg), "the first song's notices")

        # Kill 1: in a burst of /next. The first one's notices are settled and their messages are at the
        # platform (held, unanswered); the second one's notices are claimed by the ticker, which cannot
        # settle them because we hold a lock on the outbox, so its lease is all that is left of that work.
        tg.hold_sends()
        seen = len(tg.held_texts)
        await next_song()
        await eventually(lambda: any(is_notice(t) for t in tg.held_texts[seen:]), "a notice at the platform")
        await eventually(lambda: marks_caught_up(engine, tg), "sent marks")
        async with engine.connect() as blocker:
            await blocker.execute(text("LOCK TABLE outbox IN SHARE MODE"))  # until rollback: no outbox writes
            await next_song()
            await eventually(lambda: claimed_unsettled(engine), "notices claimed but not settled")
            left = await backlog(engine)
            await service.kill()
            await blocker.rollback()
        tg.release_sends()
        assert left["notice messages unsent"] > 0 and left["due notices unsettled"] > 0, left
        await outlive_leases(engine)
        await service.start()
        await eventually(lambda: quiet(engine, tg), "the burst's notices after the restart", within=30)

        # Kill 2: the platform answers every send with a 500 or drops the connection; messages wait to retry.
        alternate = itertools.cycle([True, False])
        for chat in [-1001] + [s["id"] for s in singers]:
            if next(alternate):
                tg.fail_next("sendMessage", network_error=True, times=10_000, chat_id=chat)
            else:
                tg.fail_next("sendMessage", status=500, times=10_000, chat_id=chat)
        await next_song()

        def failed_notices(kind: str) -> int:
            return sum(1 for c in tg.calls_to("sendMessage") if not c.ok and is_notice(c.params.get("text"))
                       and (c.error or "").startswith(kind))

        await eventually(lambda: failed_notices("network") >= 1 and failed_notices("Internal") >= 1,
                         "notices failing both ways")
        await eventually(lambda: marks_caught_up(engine, tg), "sent marks")
        left = await backlog(engine)
        await service.kill()
        tg.clear_faults()
        assert left["notice messages unsent"] > 0, left
        await outlive_leases(engine)
        await service.start()
        await eventually(lambda: quiet(engine, tg), "the failed notices after the restart", within=30)

        # Kill 3: the /next is stored (Telegram has it confirmed) but maybe not handled yet.
        tg.hold_sends()
        update = await next_song()
        await tg.wait_until_confirmed(update["update_id"], timeout=10)
        await service.kill()
        tg.release_sends()
        await outlive_leases(engine)
        await service.start()
        await eventually(lambda: quiet(engine, tg), "the stored /next after the restart", within=30)

        await next_song()
        await eventually(lambda: quiet(engine, tg), "the last song's notices")
        await service.stop()
        await asyncio.sleep(0.2)
    finally:
        tg.release_sends()
        await service.kill()

    sent = await assert_each_notice_delivered_exactly_once(engine, tg)
    assert sent >= 10
    nexts = [t for t in texts(tg, -1001) if t.startswith("Now singing")]
    assert len(nexts) == 6, f"each /next was answered once: {nexts}"
    assert tg.rate_violations() == []


# --- 2. two instances ---------------------------------------------------------------------------

AUDIT = [
    "CREATE TABLE reminders_audit (id serial PRIMARY KEY, row_id integer, what text, who text)",
    """CREATE FUNCTION reminders_audit_notice() RETURNS trigger AS $$ BEGIN
  IF NEW.attempts > OLD.attempts THEN
    INSERT INTO reminders_audit (row_id, what, who) VALUES (NEW.notice_id, 'claimed', current_user);
  END IF;
  IF OLD.status = 'pending' AND NEW.status <> 'pending' THEN
    INSERT INTO reminders_audit (row_id, what, who) VALUES (NEW.notice_id, 'settled', current_user);
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER reminders_audit_notice AFTER UPDATE ON notices FOR EACH ROW"
    " EXECUTE FUNCTION reminders_audit_notice()",
]
UNAUDIT = [
    "DROP TRIGGER IF EXISTS reminders_audit_notice ON notices",
    "DROP FUNCTION IF EXISTS reminders_audit_notice()",
    "DROP TABLE IF EXISTS reminders_audit",
]
SECOND_ROLE = "karaoke_second_instance"


async def second_role_url(engine: AsyncEngine, url: str) -> str | None:
    """The database as another role, so the audit trigger can tell the instances' tickers apart (None: can't)."""
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SECOND_ROLE}') THEN"
                f" CREATE ROLE {SECOND_ROLE} LOGIN SUPERUSER; END IF; END $$"))
        other = make_url(url).set(username=SECOND_ROLE).render_as_string(hide_password=False)
        probe = create_engine(other)
        try:
            async with probe.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await probe.dispose()
        return other
    except Exception:
        return None


async def test_two_instances_on_one_database_send_each_notice_once_and_share_the_work(
    db: tuple[str, AsyncEngine], tg: DoorTelegram, tmp_path: Path
) -> None:
    url, engine = db
    # Telegram allows one getUpdates consumer, so both instances run in webhook mode behind an imagined load
    # balancer: each update goes to one of them, alternately. Each reaches the Bot API through its own door.
    other_url = await second_role_url(engine, url) or url
    doors = {name: await tg.add_door(name) for name in ("a", "b")}
    instances = {
        name: ServiceProcess(name, service_env(db_url, tg, doors[name], KARAOKE_TELEGRAM_MODE="webhook",
                                               KARAOKE_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET),
                             tmp_path / f"{name}.log")
        for name, db_url in (("a", url), ("b", other_url))
    }
    async with engine.begin() as conn:
        for statement in UNAUDIT + AUDIT:
            await conn.execute(text(statement))
    update_ids = itertools.count(900_000_001)
    turn = itertools.cycle(["a", "b"])

    async def say(chat: Any, user: dict[str, Any], words: str) -> None:
        target = instances[next(turn)]
        update = {"update_id": next(update_ids), "message": tg.make_message(chat, user, words)}
        status, body = await tg.post_update_to(target.url + WEBHOOK_PATH, update, WEBHOOK_SECRET)
        assert status == 200, body

    shows = 3
    kjs = [tg.user(1 + n, f"KJ{n}", f"kj_{n}") for n in range(shows)]
    bars = [tg.group(-2001 - n, f"Bar {n}") for n in range(shows)]
    singers = [[tg.user(1000 * (n + 1) + i, f"{name}{n}", f"{name.lower()}_{n}") for i, name in enumerate(NAMES)]
               for n in range(shows)]
    try:
        for instance in instances.values():
            port = free_port()
            await instance.start(port, extra_env={"KARAOKE_PUBLIC_URL": f"http://127.0.0.1:{port}"})
        for n in range(shows):
            await say(bars[n], kjs[n], f"/open Night {n}")
        for n in range(shows):
            await eventually(shown(tg, bars[n]["id"], "Join code"), "join code")
        codes = [next(t for t in texts(tg, bars[n]["id"]) if "Join code" in t).split("Join code: ")[1][:5]
                 for n in range(shows)]
        for n in range(shows):
            for singer in singers[n]:
                await say(None, singer, f"/start {codes[n]}")
        for n in range(shows):
            for singer in singers[n]:
                await eventually(shown(tg, singer["id"], f"Night {n}"), "joined")
        for i, (title, artist) in enumerate(SONGS):
            for n in range(shows):
                await say(None, singers[n][i], f"/request {title} {artist}")
            for n in range(shows):
                await eventually(shown(tg, singers[n][i]["id"], title, skip=1), "queued")
        # The KJs run their nights at once, each /next to whichever instance is next in line.
        for _ in range(7):
            for n in range(shows):
                await say(bars[n], kjs[n], "/next")
            await asyncio.sleep(0.3)
        await eventually(lambda: quiet(engine, tg), "every notice", within=30)
        await asyncio.sleep(1)  # both tickers get further turns: nothing more may go out
        for instance in instances.values():
            await instance.stop()
        async with engine.connect() as conn:
            audit = (await conn.execute(text("SELECT row_id, what, who FROM reminders_audit"))).all()
    finally:
        for instance in instances.values():
            await instance.kill()
        async with engine.begin() as conn:
            for statement in UNAUDIT:
                await conn.execute(text(statement))

    sent = await assert_each_notice_delivered_exactly_once(engine, tg)
    assert sent >= 3 * 10
    by_door = {name: [c for c in tg.sent_by(name) if is_notice(c.params.get("text"))] for name in doors}
    # Telegram's limits are per bot: one instance holds the sending turn and sends for both; the
    # tickers of both settled notices (below).
    assert sorted(len(calls) > 0 for calls in by_door.values()) == [False, True], \
        {name: len(calls) for name, calls in by_door.items()}
    settled = Counter(a.row_id for a in audit if a.what == "settled")
    assert max(settled.values()) == 1, "a notice was settled twice"
    if other_url != url:
        settlers = Counter(a.who for a in audit if a.what == "settled")
        assert set(settlers) == {make_url(url).username, SECOND_ROLE}, settlers
    for n in range(shows):
        nexts = [t for t in texts(tg, bars[n]["id"]) if t.startswith("Now singing")]
        assert len(nexts) == 7, f"each /next was answered once: {nexts}"
