"""Reminders through the real service: who hears what, where, and exactly once.

The service runs as ``karaoke serve`` wires it (platforms, inbox worker, dispatcher, the reminders'
scheduler) against the stand-in Telegram and Slack, on SQLite and PostgreSQL, with the platforms'
real rate limits kept. What a singer hears is read off the stand-ins; what the service decided is
read from its ``notices`` and ``outbox`` tables.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.catalog import SongDraft
from karaoke.bootstrap import Container
from storage.db import create_engine
from storage.tables import notices, outbox
from tests.conftest import ADMIN_TOKEN, settings_for
from tests.e2e.waiting import eventually, texts
from tests.live_server import live_service
from tests.standins import FakeSlack, FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SONGS = [("Bohemian Rhapsody", "Queen"), ("Sweet Caroline", "Neil Diamond"), ("Zombie", "The Cranberries"),
         ("Waterloo", "ABBA"), ("Jolene", "Dolly Parton"), ("Wonderwall", "Oasis"), ("Africa", "Toto")]
BURST_SINGERS = 100
ADVANCE_EVERY = 0.25  # seconds between the KJ's advances in the burst
NO_SHOW_SECONDS = 10  # the shortest timeout a show allows
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
REMINDER_BUTTONS = ["On my way", "Skip me this round", "Cancel my song"]


def answered(tg: FakeTelegram, press: dict[str, Any]) -> str:
    """The text the bot answered ``press`` (a pushed callback update) with, "" while it has not."""
    query = press["callback_query"]["id"]
    return next((a.get("text") or "" for a in tg.callback_answers if a["callback_query_id"] == query), "")


def service(db_url: str, tg: FakeTelegram, slack: FakeSlack | None = None, *, extra_songs: int = 0) -> Any:
    async def seed(container: Container) -> None:
        if await container.songs.count() == 0:
            for title, artist in SONGS:
                await container.catalog.add_song(SongDraft(title=title, artist=artist, duration=240))
            for number in range(extra_songs):
                await container.catalog.add_song(SongDraft(title=f"Burst Song {number:03}", artist="The Testers",
                                                           duration=240))

    platforms: dict[str, Any] = {"telegram_token": tg.token, "telegram_api_url": tg.origin}
    if slack is not None:
        platforms |= {"slack_bot_token": slack.token, "slack_signing_secret": slack.signing_secret,
                      "slack_api_url": slack.base_url}
    settings = settings_for(db_url, **platforms, rate_limits=True,
                            outbox_poll_seconds=0.05)
    return live_service(settings, prepare=seed)




def count(tg: FakeTelegram, chat_id: int, phrase: str) -> int:
    return sum(phrase in t for t in texts(tg, chat_id))


def said(tg: FakeTelegram, chat_id: int, phrase: str) -> Callable[[], bool]:
    return lambda: count(tg, chat_id, phrase) >= 1


def message_with(tg: FakeTelegram, chat_id: int, phrase: str) -> dict[str, Any]:
    [message] = [m for m in tg.sent_messages(chat_id) if phrase in m.get("text", "")]
    return message


def keyboard(message: dict[str, Any]) -> dict[str, str]:
    """An inline keyboard as {label: callback_data}."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


async def open_show(tg: FakeTelegram, group: dict[str, Any], kj: dict[str, Any], name: str) -> str:
    tg.push_message(group, kj, f"/open {name}")
    await eventually(said(tg, group["id"], "Join code"), what="the show opens")
    opened = next(t for t in texts(tg, group["id"]) if "Join code" in t)
    return opened.split("Join code: ")[1][:5]


async def sign_up(tg: FakeTelegram, user: dict[str, Any], code: str, song: str) -> None:
    """A singer starts the bot in private with the show's code and requests ``song`` there."""
    tg.push_message(None, user, f"/start {code}")
    tg.push_message(None, user, f"/request {song}")
    await eventually(said(tg, user["id"], "Queued"), what=f"{user['first_name']}'s song is queued")


async def change_setting(tg: FakeTelegram, group: dict[str, Any], kj: dict[str, Any], key: str, value: object) -> None:
    tg.push_message(group, kj, f"/settings {key} {value}")
    await eventually(said(tg, group["id"], f"Setting changed: {key}"), what=f"{key} changes")


class Tables:
    """Reads the service's notices and outbox from the test's side."""

    def __init__(self, db_url: str) -> None:
        self._engine = create_engine(db_url)

    async def notices(self) -> list[dict[str, Any]]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(notices).order_by(notices.c.notice_id))).all()
        return [dict(r._mapping) for r in rows]

    async def outbox(self) -> list[dict[str, Any]]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(outbox).order_by(outbox.c.item_id))).all()
        return [dict(r._mapping) for r in rows]

    async def close(self) -> None:
        await self._engine.dispose()


@pytest.fixture
async def tables(db_url: str) -> AsyncIterator[Tables]:
    reader = Tables(db_url)
    yield reader
    await reader.close()


async def test_called_singers_hear_it_once_each_where_they_are_and_the_kj_can_skip_a_no_show(
    db_url: str, tg: FakeTelegram, slack: FakeSlack, tables: Tables
) -> None:
    kay = tg.user(1, "Kay", "kay_jay")
    ann, cat, dan = tg.user(2, "Ann", "ann"), tg.user(3, "Cat", "cat"), tg.user(4, "Dan", "dan")
    bar = tg.group(-1001, "The Bar")
    bob_dm = slack.dm_channel_for("U0BOB")
    async with service(db_url, tg, slack) as url:
        code = await open_show(tg, bar, kay, "Friday Night")
        await change_setting(tg, bar, kay, "no_show_timeout_seconds", NO_SHOW_SECONDS)
        await sign_up(tg, ann, code, "bohemian rhapsody")
        # Bob is on Slack and only ever used the slash command in a channel: reminders reach him as a DM.
        joined = await slack.deliver(f"{url}/slack/events", "command", text=f"join {code}", user_id="U0BOB",
                                     user_name="bob", channel_id="C0BAR", channel_name="bar")
        assert "Friday Night" in (await slack.wait_for_response(joined.response_url, timeout=10))[0]["text"]
        requested = await slack.deliver(f"{url}/slack/events", "command", text="request sweet caroline",
                                        user_id="U0BOB", user_name="bob", channel_id="C0BAR", channel_name="bar")
        # Said to the channel through the command's own response_url.
        [queued] = await slack.wait_for_response(requested.response_url, timeout=10)
        assert queued["text"].startswith("Queued Sweet Caroline") and queued["response_type"] == "in_channel"
        await sign_up(tg, cat, code, "zombie")
        await sign_up(tg, dan, code, "waterloo")

        tg.push_message(bar, kay, "/next")
        await eventually(said(tg, bar["id"], "Now singing: Ann — Bohemian Rhapsody"))

        # Ann is up, in her private chat.
        await eventually(said(tg, ann["id"], "You're up now: Bohemian Rhapsody — Queen!"))
        up = message_with(tg, ann["id"], "You're up now")
        assert list(keyboard(up)) == REMINDER_BUTTONS
        # Bob is next: a Slack DM with Block Kit buttons.
        [dm] = await slack.wait_for_posted(bob_dm, timeout=10)
        assert dm["text"].startswith("You're next: Sweet Caroline — Neil Diamond, about ")
        [actions] = [b for b in dm["blocks"] if b["type"] == "actions"]
        assert [e["text"]["text"] for e in actions["elements"]] == REMINDER_BUTTONS
        assert all(e["type"] == "button" and e["value"].startswith("c:") for e in actions["elements"])
        assert [c.params["users"] for c in slack.calls_to("conversations.open")] == ["U0BOB"]
        # Dan reached 3rd place; Cat (2nd) was told her place when she requested, so hears nothing new.
        await eventually(said(tg, dan["id"], "Heads-up: you're 3rd in line for Waterloo — ABBA"))
        assert [t for t in texts(tg, cat["id"]) if t.startswith(("Heads-up", "You're next", "You're up"))] == []

        # Bob never answers: after the timeout the KJ is asked, in the group (Kay has no private chat).
        prompt_text = "@kay_jay bob hasn't answered the call for Sweet Caroline — Neil Diamond in 1 min."
        await eventually(said(tg, bar["id"], prompt_text), within=NO_SHOW_SECONDS + 10)
        prompt = message_with(tg, bar["id"], prompt_text)
        assert list(keyboard(prompt)) == ["Skip bob", "Wait"]
        # Many ticks have run since the first notices: nobody heard anything twice.
        assert count(tg, ann["id"], "You're up now") == 1
        assert len(slack.posted_to(bob_dm)) == 1
        assert count(tg, dan["id"], "Heads-up") == 1
        assert count(tg, bar["id"], "hasn't answered") == 1

        tg.push_callback(bar, kay, prompt["message_id"], keyboard(prompt)["Skip bob"])
        await eventually(said(tg, bar["id"], "Passed over bob this round — Sweet Caroline stays in their list. "
                                             "Up next: Cat."))
        await eventually(lambda: len(tg.callback_answers) == 1)
        # The skip passed over Bob, not Ann at the mic: Cat is called and told once, Bob hears where he stands.
        await eventually(said(tg, cat["id"], "You're next: Zombie — The Cranberries"))
        await slack.wait_for_posted(bob_dm, timeout=10, count=2)
        assert slack.posted_to(bob_dm)[-1]["text"].startswith(
            "Change of plan: you were passed over this round. Sweet Caroline — Neil Diamond stays in your list")
        tg.push_message(bar, kay, "/next")
        await eventually(said(tg, cat["id"], "You're up now: Zombie — The Cranberries!"))
        await eventually(said(tg, dan["id"], "You're next: Waterloo — ABBA"))

    by_kind = Counter((n["kind"], n["status"]) for n in await tables.notices())
    assert by_kind[("no_show", "sent")] == 1
    assert count(tg, ann["id"], "You're up now") == 1
    assert count(tg, cat["id"], "You're up now") == 1
    assert count(tg, cat["id"], "You're next") == 1
    assert count(tg, dan["id"], "You're next") == 1
    # Bob: called, then corrected once with his new place (which also stood for a heads-up).
    assert [m["text"].split(":")[0] for m in slack.posted_to(bob_dm)] == ["You're next", "Change of plan"]
    assert tg.rate_violations() == []


async def test_on_my_way_is_answered_and_keeps_the_kj_prompt_away(
    db_url: str, tg: FakeTelegram, tables: Tables
) -> None:
    kay = tg.user(1, "Kay", "kay_jay")
    ann, bob, cat, dan = (tg.user(2, "Ann", "ann"), tg.user(3, "Bob", "bob"), tg.user(4, "Cat", "cat"),
                          tg.user(5, "Dan", "dan"))
    main, side = tg.group(-1001, "Main Room"), tg.group(-1002, "Side Room")
    async with service(db_url, tg):
        main_code = await open_show(tg, main, kay, "Main Stage")
        side_code = await open_show(tg, side, kay, "Side Stage")
        for group in (main, side):
            await change_setting(tg, group, kay, "no_show_timeout_seconds", NO_SHOW_SECONDS)
        await sign_up(tg, ann, main_code, "bohemian rhapsody")
        await sign_up(tg, bob, main_code, "sweet caroline")
        await sign_up(tg, cat, side_code, "zombie")
        await sign_up(tg, dan, side_code, "waterloo")

        tg.push_message(main, kay, "/next")
        await eventually(said(tg, bob["id"], "You're next: Sweet Caroline"))
        called = message_with(tg, bob["id"], "You're next")
        tg.push_callback(None, bob, called["message_id"], keyboard(called)["On my way"])
        await eventually(said(tg, bob["id"], "Great, see you at the stage!"))
        await eventually(lambda: len(tg.callback_answers) == 1, what="the press is answered")
        confirmed = [n for n in await tables.notices() if n["kind"] == "no_show"]
        assert [n["status"] for n in confirmed] == ["confirmed"]

        # The side show's no-show check falls due after the main show's would have: once the side
        # show's KJ is asked about Dan, the main show's check has had its chance to go wrong.
        tg.push_message(side, kay, "/next")
        await eventually(said(tg, dan["id"], "You're next: Waterloo"))
        await eventually(said(tg, side["id"], "Dan hasn't answered the call"), within=NO_SHOW_SECONDS + 10)
        main_check = next(n for n in await tables.notices() if n["notice_id"] == confirmed[0]["notice_id"])
        side_check = next(n for n in await tables.notices() if n["kind"] == "no_show" and n["status"] == "sent")
        assert main_check["due_at"] < side_check["due_at"]
        assert count(tg, main["id"], "hasn't answered") == 0
        assert main_check["status"] == "confirmed"

        # Waiting is answered too and changes nothing.
        prompt = message_with(tg, side["id"], "Dan hasn't answered")
        waited = tg.push_callback(side, kay, prompt["message_id"], keyboard(prompt)["Wait"])
        # Only the KJ needs to hear it: the press's own answer, not a message to the room.
        await eventually(lambda: answered(tg, waited).startswith("OK, Dan keeps their place."), "Kay's toast")
    assert not any("keeps their place" in t for t in texts(tg, side["id"]))
    assert tg.rate_violations() == []


async def test_a_singer_without_a_private_chat_is_mentioned_in_the_group(db_url: str, tg: FakeTelegram) -> None:
    kay, ann, eve = tg.user(1, "Kay", "kay_jay"), tg.user(2, "Ann", "ann"), tg.user(6, "Eve", "eve_sings")
    bar = tg.group(-1001, "The Bar")
    async with service(db_url, tg):
        code = await open_show(tg, bar, kay, "Friday Night")
        await sign_up(tg, ann, code, "bohemian rhapsody")
        # Eve signs up right in the group and never opens a private chat with the bot.
        tg.push_message(bar, eve, "/request jolene")
        await eventually(said(tg, bar["id"], "Queued Jolene"))

        tg.push_message(bar, kay, "/next")
        await eventually(said(tg, bar["id"], "@eve_sings You're next: Jolene — Dolly Parton"))
        called = message_with(tg, bar["id"], "@eve_sings You're next")
        assert list(keyboard(called)) == REMINDER_BUTTONS
        # Her button works from the group, and only for her.
        # The answers are for the presser alone: each press's own answer (a toast), no group message.
        by_kay = tg.push_callback(bar, kay, called["message_id"], keyboard(called)["On my way"])
        await eventually(lambda: answered(tg, by_kay).startswith("That button belongs to someone else"))
        by_eve = tg.push_callback(bar, eve, called["message_id"], keyboard(called)["On my way"])
        await eventually(lambda: answered(tg, by_eve) == "Great, see you at the stage!")
        await eventually(said(tg, ann["id"], "You're up now"))
    assert not any("someone else" in t or "see you at the stage" in t for t in texts(tg, bar["id"]))
    assert 6 not in tg.sent_messages_by_chat, "nothing was sent to a private chat Eve never opened"
    assert tg.rate_violations() == []


async def test_a_refused_reminder_is_reported_to_the_kj_once_and_a_rate_limited_one_is_retried(
    db_url: str, tg: FakeTelegram, tables: Tables
) -> None:
    kay, ann, bob = tg.user(1, "Kay", "kay_jay"), tg.user(2, "Ann", "ann"), tg.user(3, "Bob", "bob")
    bar = tg.group(-1001, "The Bar")
    async with service(db_url, tg):
        code = await open_show(tg, bar, kay, "Friday Night")
        await change_setting(tg, bar, kay, "no_show_timeout_seconds", NO_SHOW_SECONDS)
        await sign_up(tg, ann, code, "bohemian rhapsody")
        await sign_up(tg, bob, code, "sweet caroline")
        tg.block(bob)
        tg.fail_next("sendMessage", 429, retry_after=1, chat_id=ann["id"])

        tg.push_message(bar, kay, "/next")
        await eventually(said(tg, bar["id"], "@kay_jay I couldn't deliver a reminder to Bob ("))
        report = message_with(tg, bar["id"], "I couldn't deliver")["text"]
        assert "bot was blocked by the user" in report and report.endswith("Call them by name when it's their turn.")
        # Ann's reminder met a flood wait first and went out once after it.
        await eventually(said(tg, ann["id"], "You're up now"))
        attempts = [c for c in tg.calls_to("sendMessage")
                    if c.params.get("chat_id") == ann["id"] and "You're up now" in c.params.get("text", "")]
        assert [c.status for c in attempts] == [429, 200]
        assert attempts[1].time - attempts[0].time >= 1.0

        rows = {r["key"]: r for r in await tables.outbox()}
        [refused] = [r for key, r in rows.items() if key.startswith("notice:") and key.endswith(":next:0")]
        assert refused["failed_at"] is not None and refused["sent_at"] is None
        assert "blocked by the user" in refused["last_error"]
        [retried] = [r for key, r in rows.items() if key.startswith("notice:") and key.endswith(":up:0")]
        assert retried["sent_at"] is not None and retried["attempts"] == 2

        # The no-show check for Bob comes many ticks later; the report was still made only once.
        await eventually(said(tg, bar["id"], "Bob hasn't answered the call"), within=NO_SHOW_SECONDS + 10)
        assert count(tg, bar["id"], "I couldn't deliver a reminder") == 1
        assert count(tg, ann["id"], "You're up now") == 1
    undelivered = [n for n in await tables.notices() if n["kind"] == "undelivered"]
    assert [n["status"] for n in undelivered] == ["sent"]
    assert tg.rate_violations() == []


async def test_a_burst_of_a_hundred_singers_keeps_the_rate_limits_and_delivers_every_reminder_once(
    db_url: str, tg: FakeTelegram, tables: Tables
) -> None:
    singers = [tg.user(100 + i, f"Singer{i:03}", f"singer{i:03}") for i in range(BURST_SINGERS)]
    async with service(db_url, tg, extra_songs=BURST_SINGERS) as url, \
            httpx.AsyncClient(base_url=f"{url}/api/v1", headers=ADMIN, timeout=30) as api:
        opened = await api.post("/shows", json={"name": "Big Night"})
        assert opened.status_code == 201, opened.text
        show_id, code = opened.json()["show_id"], opened.json()["code"]
        songs = (await api.get("/songs", params={"q": "Burst Song", "limit": 100})).json()["items"]
        songs = sorted(songs, key=lambda s: s["title"])
        assert len(songs) == BURST_SINGERS

        # Everyone starts the bot in private with the code (all at once), then their song is queued.
        for singer in singers:
            tg.push_message(None, singer, f"/start {code}")
        await eventually(lambda: all(count(tg, s["id"], "You're in") == 1 for s in singers), within=30,
                         what="every singer is greeted")
        for singer, song in zip(singers, songs, strict=True):
            queued = await api.post(f"/shows/{show_id}/requests", json={
                "singer": {"name": singer["first_name"], "platform": "telegram", "user_id": str(singer["id"])},
                "song_id": song["song_id"]})
            assert queued.status_code == 201, queued.text

        # The KJ races through fifteen songs, a few a second: every singer is told they are 3rd, next
        # and up within a second or two, more often than Telegram lets a bot write to one chat.
        for _ in range(15):
            moved = await api.post(f"/shows/{show_id}/advance")
            assert moved.status_code == 200, moved.text
            await asyncio.sleep(ADVANCE_EVERY)
        queue = moved.json()
        current, first, third = queue["now"], queue["upcoming"][0], queue["upcoming"][2]

        def chat_of(slot: dict[str, Any]) -> int:
            return int(next(s["id"] for s in singers if s["first_name"] == slot["singer"]["name"]))

        await eventually(said(tg, chat_of(current), "You're up now"), within=30, what="the last singer up hears it")
        await eventually(said(tg, chat_of(first), "You're next"), within=30, what="the next singer hears it")
        await eventually(said(tg, chat_of(third), "Heads-up: you're 3rd"), within=30, what="the 3rd hears it")

        async def settled() -> bool:
            rows = await tables.notices()
            due_now = [n for n in rows if n["kind"] in ("up", "next", "heads_up", "soon") and n["status"] == "pending"]
            outgoing = [r for r in await tables.outbox() if r["key"].startswith("notice:")]
            return not due_now and all(r["sent_at"] is not None or r["failed_at"] is not None for r in outgoing)

        await eventually(settled, within=30, what="every due notice is settled and every message sent")
        rows = await tables.notices()
        messages = {r["key"]: r for r in await tables.outbox() if r["key"].startswith("notice:")}

    sent = [n for n in rows if n["status"] == "sent"]
    assert {n["kind"] for n in sent} <= {"up", "next", "heads_up", "soon"}
    assert len(sent) >= 15, "the reminders kept up with the KJ rather than only telling the last ones"
    assert set(messages) == {f"notice:{n['key']}" for n in sent}, "one message per notice sent, and no other"
    for notice in sent:
        message = messages[f"notice:{notice['key']}"]
        assert message["sent_at"] is not None and message["failed_at"] is None, notice
        chat = int(message["reply"]["room"]["room_id"])
        text = message["reply"]["text"]
        deliveries = [c for c in tg.calls_to("sendMessage")
                      if c.ok and c.params.get("chat_id") == chat and c.params.get("text") == text]
        assert len(deliveries) == 1, f"{notice['key']}: {len(deliveries)} deliveries"
    for singer in singers:
        received = texts(tg, singer["id"])
        assert len(received) == len(set(received)), f"{singer['first_name']} heard something twice: {received}"
    assert tg.rate_violations() == []
