"""A whole night through the real service: Telegram and Slack singers in one show, via inbox and outbox.

The service runs as ``karaoke serve`` wires it (platforms, inbox worker, dispatcher) against the
stand-in platforms, on SQLite and PostgreSQL; it is also stopped and started in the middle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from core.catalog import SongDraft
from karaoke.bootstrap import Container
from tests.conftest import settings_for
from tests.e2e.waiting import eventually, texts
from tests.live_server import live_service
from tests.standins import FakeSlack, FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SONGS = [("Bohemian Rhapsody", "Queen"), ("Dreams", "Fleetwood Mac"), ("Dreams", "The Cranberries"),
         ("Sweet Caroline", "Neil Diamond"), ("Zombie", "The Cranberries")]


async def seed(container: Container) -> None:
    if await container.songs.count() == 0:
        for title, artist in SONGS:
            await container.catalog.add_song(SongDraft(title=title, artist=artist, duration=240))


def service(db_url: str, tg: FakeTelegram, slack: FakeSlack) -> Any:
    settings = settings_for(
        db_url,
        telegram_token=tg.token,
        telegram_api_url=tg.origin,
        slack_bot_token=slack.token,
        slack_signing_secret=slack.signing_secret,
        slack_api_url=slack.base_url,
        outbox_poll_seconds=0.05,
    )
    return live_service(settings, prepare=seed)




def said_in_tg(tg: FakeTelegram, chat_id: int, phrase: str) -> Callable[[], bool]:
    return lambda: any(phrase in t for t in texts(tg, chat_id))


async def test_a_night_on_telegram_and_slack_at_once_survives_a_restart(
    db_url: str, tg: FakeTelegram, slack: FakeSlack
) -> None:
    kj, ann = tg.user(1, "Kay", "kay_jay"), tg.user(2, "Ann", "ann")
    bar = tg.group(-1001, "The Bar")
    async with service(db_url, tg, slack) as url:
        tg.push_message(bar, kj, "/open Friday Night")
        await eventually(said_in_tg(tg, -1001, "Join code"))
        opened = next(t for t in texts(tg, -1001) if "Join code" in t)
        code = opened.split("Join code: ")[1][:5]

        tg.push_message(None, ann, f"/start {code}")
        await eventually(said_in_tg(tg, 2, "Friday Night"))
        tg.push_message(None, ann, "/request bohemian rapsody")
        await eventually(said_in_tg(tg, 2, "Bohemian Rhapsody"))

        joined = await slack.deliver(f"{url}/slack/events", "command", text=f"join {code}", user_id="U0BOB",
                                     user_name="bob", channel_id="D0BOB", channel_name="directmessage")
        assert joined.status == 200
        await slack.deliver(f"{url}/slack/events", "command", text="request sweet carolin neil diamond",
                            user_id="U0BOB", user_name="bob", channel_id="D0BOB", channel_name="directmessage")
        await eventually(lambda: len(slack.calls_to("chat.postMessage")) + len(slack.responses) >= 2)

        update = tg.push_message(bar, ann, "/next")  # not the KJ: refused, nothing changes
        await eventually(said_in_tg(tg, -1001, "Only the show's KJ"))

    # The service stops; a KJ command arrives while it is down and must not be lost.
    tg.push_message(bar, kj, "/next")
    async with service(db_url, tg, slack):
        await eventually(said_in_tg(tg, -1001, "Bohemian Rhapsody"), within=15)
        tg.redeliver(update["update_id"])
        tg.push_message(bar, kj, "/queue")
        await eventually(lambda: sum("Sweet Caroline" in t for t in texts(tg, -1001)) >= 1)
        # Ann's song is over: /history (read from the Performances view, which the service keeps) tells it.
        tg.push_message(bar, kj, "/next")
        await eventually(lambda: any(t.startswith("Now singing") and "Sweet Caroline" in t.split("\n")[0]
                                     for t in texts(tg, -1001)))
        tg.push_message(bar, ann, "/history")
        # Said to Ann, in the group or (while the group's slot is busy) in her private chat.
        await eventually(lambda: any("Sung so far tonight: 1 song.\n1. Ann — Bohemian Rhapsody (Queen)" in t
                                     for t in texts(tg, -1001) + texts(tg, 2)))
        await asyncio.sleep(0.5)

    refusals = [t for t in texts(tg, -1001) if "Only the show's KJ" in t]
    assert len(refusals) == 1, "the redelivered update was handled once"
    announced = [t for t in texts(tg, -1001) if t.startswith("Now singing: Ann — Bohemian Rhapsody") and "Up next" in t]
    assert len(announced) == 1, "the KJ's /next sent while the service was down was handled once"
    assert any(t.startswith("Now singing") and "Sweet Caroline" in t for t in texts(tg, -1001)), "the /queue"
    assert tg.rate_violations() == []
