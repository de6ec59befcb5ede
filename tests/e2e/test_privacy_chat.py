"""Privacy through the real service on both databases: only what is addressed to the bot is stored, names
come in clean, and ``/forgetme`` forgets."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from karaoke.bootstrap import SystemClock
from storage.db import create_engine
from storage.retention import SqlRetention
from tests.e2e.test_service_night import said_in_tg, service
from tests.e2e.waiting import eventually, texts
from tests.privacy_scan import table_texts, tables_containing
from tests.standins import FakeSlack, FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BAR = -1001


async def _open_in_the_bar(tg: FakeTelegram) -> str:
    kj = tg.user(1, "Kay", "kay_jay")
    tg.push_message(tg.group(BAR, "The Bar"), kj, "/open Friday Night")
    await eventually(said_in_tg(tg, BAR, "Join code"))
    opened = next(t for t in texts(tg, BAR) if "Join code" in t)
    return opened.split("Join code: ")[1][:5]


async def test_group_chatter_leaves_no_trace_while_a_group_request_is_stored_and_handled(
        db_url: str, tg: FakeTelegram, slack: FakeSlack) -> None:
    bar = tg.group(BAR, "The Bar")
    ann, bob = tg.user(2, "Ann", "ann"), tg.user(3, "Bob", "bob")
    async with service(db_url, tg, slack) as url:
        await _open_in_the_bar(tg)
        said = tg.push_message(bar, ann, "my phone number is 555-0100, call me")
        tg.push_message(bar, bob, "ring me too: 555-0199", reply_to_message_id=said["message"]["message_id"])
        tg.push_message(bar, bob, "/queue@some_other_bot 555-0142")  # another bot's command
        tg.push_message(bar, ann, "/request bohemian rapsody")
        await eventually(said_in_tg(tg, BAR, "Bohemian Rhapsody"))
        # Slack: chatter in a channel the bot is in comes as a message event; it is acknowledged, not kept.
        delivered = await slack.deliver(f"{url}/slack/events", "event", text="my number is 555-0177",
                                        user="U0ANN", channel="C0BAR", channel_type="channel")
        assert delivered.status == 200
        async with httpx.AsyncClient(base_url=url) as client:
            [show] = (await client.get("/api/v1/shows")).json()["items"]
            queue = (await client.get(f"/api/v1/shows/{show['show_id']}/queue")).json()
    assert "Bohemian Rhapsody" in str(queue)
    engine = create_engine(db_url)
    try:
        assert await tables_containing(engine, "555-01", "call me", "ring me") == {}
        assert "/request bohemian rapsody" in (await table_texts(engine))["inbox"]
    finally:
        await engine.dispose()


async def test_a_person_named_with_control_characters_joins_requests_and_shows_as_ann(
        db_url: str, tg: FakeTelegram, slack: FakeSlack) -> None:
    ann = tg.user(4, "Ann\x00\x07")
    async with service(db_url, tg, slack) as url:
        code = await _open_in_the_bar(tg)
        tg.push_message(None, ann, f"/start {code}")
        await eventually(said_in_tg(tg, 4, "Friday Night"))
        tg.push_message(None, ann, "/request bohemian rapsody")
        await eventually(said_in_tg(tg, 4, "Bohemian Rhapsody"))
        async with httpx.AsyncClient(base_url=url) as client:
            [show] = (await client.get("/api/v1/shows")).json()["items"]
            queue = (await client.get(f"/api/v1/shows/{show['show_id']}/queue")).json()
    names = [entry["singer"]["name"] for entry in [*queue.get("upcoming", []), *filter(None, [queue.get("now")])]]
    assert names == ["Ann"], queue
    engine = create_engine(db_url)
    try:
        assert await tables_containing(engine, "\x00", "\x07", "\\u0000", "\\u0007") == {}
    finally:
        await engine.dispose()


async def test_forgetme_in_chat_asks_names_the_waiting_song_then_forgets_everything_but_its_own_answer(
        db_url: str, tg: FakeTelegram, slack: FakeSlack) -> None:
    ann = tg.user(777000222, "Annabel", "annabelq", last_name="Quux")
    async with service(db_url, tg, slack) as url:
        code = await _open_in_the_bar(tg)
        tg.push_message(None, ann, f"/start {code}")
        await eventually(said_in_tg(tg, 777000222, "Friday Night"))
        tg.push_message(None, ann, "/request bohemian rapsody")
        await eventually(said_in_tg(tg, 777000222, "Bohemian Rhapsody"))
        tg.push_message(None, ann, "/forgetme")
        await eventually(said_in_tg(tg, 777000222, "Forget you?"))
        asked = tg.sent_messages(777000222)[-1]
        assert "Your song still waiting is taken out of the queue too." in asked["text"]
        yes = next(row[0]["callback_data"] for row in asked["reply_markup"]["inline_keyboard"]
                   if row[0]["text"] == "Yes, forget me")
        tg.push_callback(None, ann, asked["message_id"], yes)
        await eventually(said_in_tg(tg, 777000222, "I've forgotten you"))
        async with httpx.AsyncClient(base_url=url) as client:
            [show] = (await client.get("/api/v1/shows")).json()["items"]
            queue = (await client.get(f"/api/v1/shows/{show['show_id']}/queue")).json()
    assert queue["now"] is None and queue["upcoming"] == [], "her waiting song went with her"
    engine = create_engine(db_url)
    try:
        assert await tables_containing(engine, "Annabel", "annabelq", "Quux") == {}
        # Only the answer to her press, sent to her private chat, still names her chat; it goes with retention.
        assert await tables_containing(engine, "777000222") == {"outbox": ["777000222"]}
        await SqlRetention(engine).sweep(SystemClock().now() + timedelta(days=1))
        assert await tables_containing(engine, "777000222") == {}
    finally:
        await engine.dispose()
