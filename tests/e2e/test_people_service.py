"""People, not accounts, through the real service (``karaoke serve`` wiring against the stand-in Telegram and
Slack, on SQLite and PostgreSQL): a Telegram and a Slack account linked sing as one singer in a round, a KJ's
``/add`` queues a walk-in, and ``/again`` offers last night's song the next night."""

from __future__ import annotations

import re
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

SONGS = [("Bohemian Rhapsody", "Queen"), ("Zombie", "The Cranberries"), ("Sweet Caroline", "Neil Diamond"),
         ("Africa", "Toto"), ("Wonderwall", "Oasis")]
BAR = -1001


async def seed(container: Container) -> None:
    if await container.songs.count() == 0:
        for title, artist in SONGS:
            await container.catalog.add_song(SongDraft(title=title, artist=artist, duration=240))


def service(db_url: str, tg: FakeTelegram, slack: FakeSlack) -> Any:
    settings = settings_for(db_url, telegram_token=tg.token, telegram_api_url=tg.origin, slack_bot_token=slack.token,
                            slack_signing_secret=slack.signing_secret, slack_api_url=slack.base_url,
                            outbox_poll_seconds=0.05)
    return live_service(settings, prepare=seed)


def tg_said(tg: FakeTelegram, chat_id: int, phrase: str) -> Callable[[], bool]:
    return lambda: any(phrase in t for t in texts(tg, chat_id))


def slack_texts(slack: FakeSlack) -> list[str]:
    posted = [str(call.params.get("text", "")) for call in slack.calls_to("chat.postMessage")]
    return posted + [str(body.get("text", "")) for body in slack.responses_to()]


def queue_lines(tg: FakeTelegram) -> list[str]:
    """The lines of the last /queue answer in the bar."""
    answer = [t for t in texts(tg, BAR) if t.startswith("1. ") or (t.startswith("Now singing: ") and "\n" in t)][-1]
    return [line.split(" · ")[0] for line in answer.split("\n") if line[:1].isdigit()]


async def test_linked_telegram_and_slack_accounts_sing_once_a_round_walk_ins_and_last_nights_song(
    db_url: str, tg: FakeTelegram, slack: FakeSlack
) -> None:
    kim, ann, bob = tg.user(1, "Kim", "kim"), tg.user(2, "Ann", "ann"), tg.user(3, "Bob", "bob")
    bar = tg.group(BAR, "The Bar")

    async def on_slack(text: str) -> None:
        delivered = await slack.deliver(f"{url}/slack/events", "command", text=text, user_id="U0ANN", user_name="ann",
                                        channel_id="D0ANN", channel_name="directmessage")
        assert delivered.status == 200

    async with service(db_url, tg, slack) as url:
        tg.push_message(bar, kim, "/open Friday")
        await eventually(tg_said(tg, BAR, "Join code"))
        code = re.search(r"Join code: (\w+)", next(t for t in texts(tg, BAR) if "Join code" in t))
        assert code is not None
        tg.push_message(None, ann, f"/start {code.group(1)}")
        tg.push_message(None, ann, "/request bohemian rhapsody")
        await eventually(tg_said(tg, 2, "Queued Bohemian Rhapsody"))
        await on_slack(f"join {code.group(1)}")
        await on_slack("request sweet caroline")
        await eventually(lambda: any("Queued Sweet Caroline" in t for t in slack_texts(slack)))
        tg.push_message(bar, bob, "/request zombie")
        await eventually(tg_said(tg, BAR, "Queued Zombie"))
        tg.push_message(bar, kim, "/queue")
        await eventually(tg_said(tg, BAR, "3. Bob — Zombie"))
        # Two accounts, two singers: Ann's Slack self sings before Bob.
        assert queue_lines(tg) == ["1. Ann — Bohemian Rhapsody (Queen)", "2. ann — Sweet Caroline (Neil Diamond)",
                                   "3. Bob — Zombie (The Cranberries)"]

        tg.push_message(None, ann, "/link")
        await eventually(tg_said(tg, 2, "Your link code"))
        link = re.search(r"Your link code: (\w+)", next(t for t in texts(tg, 2) if "Your link code" in t))
        assert link is not None
        await on_slack(f"link {link.group(1)}")
        await eventually(lambda: any("Linked: you're" in t for t in slack_texts(slack)))
        assert any("your 2 songs waiting in one list" in t for t in slack_texts(slack))
        tg.push_message(bar, kim, "/queue")
        await eventually(lambda: queue_lines(tg)[1:2] == ["2. Bob — Zombie (The Cranberries)"])
        assert queue_lines(tg) == ["1. Ann — Bohemian Rhapsody (Queen)", "2. Bob — Zombie (The Cranberries)",
                                   "3. Ann — Sweet Caroline (Neil Diamond)"]

        # A walk-in, added by the KJ by name: a singer of their own, after everyone owed a turn.
        tg.push_message(bar, kim, "/add Maria africa toto")
        await eventually(tg_said(tg, BAR, "Queued Africa — Toto for Maria: 3rd in line"))

        # The night goes on: Ann sings, then Bob, then the show closes.
        tg.push_message(bar, kim, "/next")
        await eventually(tg_said(tg, BAR, "Now singing: Ann — Bohemian Rhapsody"))
        tg.push_message(bar, kim, "/next")
        await eventually(tg_said(tg, BAR, "Now singing: Bob — Zombie"))
        tg.push_message(bar, kim, "/close")
        await eventually(tg_said(tg, BAR, "is closed"))

        # The next night, Ann asks what she sang before: last night's song, with a button to sign up.
        tg.push_message(bar, kim, "/open Saturday")
        await eventually(tg_said(tg, BAR, "“Saturday” is open"))
        second = re.search(r"Join code: (\w+)", next(t for t in texts(tg, BAR) if "“Saturday” is open" in t))
        assert second is not None
        tg.push_message(None, ann, f"/join {second.group(1)}")
        await eventually(tg_said(tg, 2, "You're in “Saturday”"))
        await on_slack("again")
        await eventually(lambda: any("Songs you sang on earlier nights" in t for t in slack_texts(slack)))
        tg.push_message(None, ann, "/again")
        await eventually(tg_said(tg, 2, "press one to sign up again"))
        [offer] = [m for m in tg.sent_messages(2) if "press one to sign up again" in m.get("text", "")]
        assert "1. Bohemian Rhapsody — Queen" in offer["text"]
        buttons = [b for row in offer["reply_markup"]["inline_keyboard"] for b in row]
        assert [b["text"] for b in buttons] == ["Bohemian Rhapsody — Queen"]
        tg.push_callback(None, ann, offer["message_id"], buttons[0]["callback_data"])
        await eventually(tg_said(tg, 2, "Queued Bohemian Rhapsody — Queen. You're next"))
