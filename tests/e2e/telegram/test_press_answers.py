"""Button presses answered with the callback answer: what only the presser needs is a toast, not a group message.

The real service (poller or webhook, inbox worker, dispatcher, Telegram's limits kept) runs against the
stand-in Telegram with the real python-telegram-bot. A press is answered exactly once: with its reply
when only the presser needs it and it fits (the stand-in records answerCallbackQuery with its text),
else empty (the spinner stops) beside the reply's message; an answer Telegram refuses as too old is said
as a message instead, so nothing is lost; a press Telegram delivers twice is answered once.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from bots.telegram import WEBHOOK_PATH
from core.catalog import SongDraft
from karaoke.bootstrap import Container
from tests.conftest import settings_for
from tests.e2e.waiting import eventually
from tests.live_server import live_service
from tests.standins import FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

GROUP_ID = -1002024
SECRET = "press-answers-secret"
NOT_YOURS = "That button belongs to someone else. Send your own /request."
EXPIRED = "That button has expired or doesn't exist. Send /request again."
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def seed(container: Container) -> None:
    if await container.songs.count() == 0:
        for title, artist in [("Dreams", "The Cranberries"), ("Dreams", "Fleetwood Mac"), ("Zombie", "The Cranberries"),
                              ("Waterloo", "ABBA")]:
            await container.catalog.add_song(SongDraft(title=title, artist=artist, duration=200))


def group_texts(tg: FakeTelegram) -> list[str]:
    return [m.get("text", "") for m in tg.sent_messages(GROUP_ID)]


def button(message: dict[str, Any], label_part: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return str(next(row[0]["callback_data"] for row in rows if label_part in row[0]["text"]))


def answers(tg: FakeTelegram) -> list[tuple[str, str | None]]:
    """(query id, text or None) of every callback answer Telegram took, in order."""
    return [(a["callback_query_id"], a.get("text")) for a in tg.callback_answers]


async def test_a_press_only_the_presser_needs_answered_is_a_toast_and_anything_else_stops_the_spinner(
    db_url: str,
) -> None:
    async with FakeTelegram() as tg:
        settings = settings_for(db_url, telegram_token=tg.token, telegram_api_url=tg.origin,
                                outbox_poll_seconds=0.05)
        kay, ann, bob = tg.user(1, "Kay", "kay_jay"), tg.user(2, "Ann", "ann"), tg.user(3, "Bob", "bob")
        spam = {"id": 777, "is_bot": True, "first_name": "Spam", "username": "spam_bot"}
        bar = tg.group(GROUP_ID, "The Bar")
        async with live_service(settings, prepare=seed):
            tg.push_message(bar, kay, "/open Press Night")
            await eventually(lambda: any("Join code" in t for t in group_texts(tg)), "the show opened")
            tg.push_message(bar, ann, "/search dreams")
            await eventually(lambda: any("reply_markup" in m for m in tg.sent_messages(GROUP_ID)), "Ann's choices")
            choices = next(m for m in tg.sent_messages(GROUP_ID) if "reply_markup" in m)
            fleetwood = button(choices, "Fleetwood Mac")

            # Bob presses Ann's button: the refusal is for Bob alone, a toast.
            by_bob = tg.push_callback(bar, bob, choices["message_id"], fleetwood)
            await eventually(lambda: len(tg.callback_answers) == 1, "Bob's press answered")
            # A button the bot does not know: a toast again.
            unknown = tg.push_callback(bar, ann, choices["message_id"], "c:no-such-token")
            await eventually(lambda: len(tg.callback_answers) == 2, "the unknown button answered")
            # Another bot's press: nothing to say, but the press is still answered (the spinner stops).
            by_spam = tg.push_callback(bar, spam, choices["message_id"], fleetwood)
            await eventually(lambda: len(tg.callback_answers) == 3, "the bot's press answered")
            # Ann's own press queues her song: the room reads that, so it is a group message; the press's
            # answer is empty.
            by_ann = tg.push_callback(bar, ann, choices["message_id"], fleetwood)
            await eventually(lambda: any("Queued Dreams — Fleetwood Mac" in t for t in group_texts(tg)), "queued")
            await eventually(lambda: len(tg.callback_answers) == 4, "Ann's press answered")

            # Telegram delivers Bob's press again: stored once, answered once. Kay's /queue afterwards shows
            # the poller went past it.
            tg.redeliver(by_bob["update_id"])
            tg.push_message(bar, kay, "/queue")
            await eventually(lambda: any("Ann" in t and "Dreams" in t and "Queued" not in t for t in group_texts(tg)),
                             "Kay's queue")

        assert answers(tg) == [(by_bob["callback_query"]["id"], NOT_YOURS),
                               (unknown["callback_query"]["id"], EXPIRED),
                               (by_spam["callback_query"]["id"], None),
                               (by_ann["callback_query"]["id"], None)]
        texts = group_texts(tg)
        assert not any(NOT_YOURS in t or EXPIRED in t for t in texts), "a toast is no group message"
        assert sum("Queued Dreams" in t for t in texts) == 1
        assert len(texts) == 4, texts  # opened, Ann's choices, queued, Kay's queue
        assert tg.rate_violations() == []


async def test_a_press_answer_refused_as_too_old_is_said_in_the_group_instead_once(db_url: str) -> None:
    async with FakeTelegram() as tg:
        settings = settings_for(db_url, telegram_token=tg.token, telegram_api_url=tg.origin,
                                outbox_poll_seconds=0.05)
        kay, bob = tg.user(1, "Kay", "kay_jay"), tg.user(3, "Bob", "bob")
        bar = tg.group(GROUP_ID, "The Bar")
        async with live_service(settings, prepare=seed):
            tg.push_message(bar, kay, "/open Press Night")
            await eventually(lambda: any("Join code" in t for t in group_texts(tg)), "the show opened")
            # The service was too slow (say, the database was away): Telegram no longer takes the answer.
            tg.fail_next("answerCallbackQuery", status=400, description=TOO_OLD)
            tg.push_callback(bar, bob, 1, "c:no-such-token")
            await eventually(lambda: any(EXPIRED in t for t in group_texts(tg)), "the answer as a group message")
            # And a press whose empty answer is refused: nothing to say, so nothing more is sent.
            tg.fail_next("answerCallbackQuery", status=400, description=TOO_OLD)
            tg.push_callback(bar, {"id": 777, "is_bot": True, "first_name": "Spam"}, 1, "c:no-such-token")
            await eventually(lambda: len(tg.calls_to("answerCallbackQuery")) == 2, "the second answer tried")
            tg.push_message(bar, kay, "/queue")
            await eventually(lambda: len(group_texts(tg)) == 3, "Kay's queue")

        assert tg.callback_answers == []
        assert sum(EXPIRED in t for t in group_texts(tg)) == 1, "said once, as a message"
        assert len(tg.calls_to("answerCallbackQuery")) == 2, "each press's answer was tried once"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_in_webhook_mode_a_press_is_answered_through_the_outbox_once_even_if_posted_twice(
    db_url: str,
) -> None:
    async with FakeTelegram() as tg:
        port = _free_port()
        settings = settings_for(db_url, telegram_token=tg.token, telegram_api_url=tg.origin,
                                outbox_poll_seconds=0.05, telegram_mode="webhook",
                                telegram_webhook_secret=SECRET, public_url=f"http://127.0.0.1:{port}")
        kay, bob = tg.user(1, "Kay", "kay_jay"), tg.user(3, "Bob", "bob")
        bar = tg.group(GROUP_ID, "The Bar")
        async with live_service(settings, prepare=seed, port=port) as url:
            assert tg.webhook["url"] == url + WEBHOOK_PATH
            tg.push_message(bar, kay, "/open Press Night")
            assert await tg.flush_to_webhook() == [200]
            await eventually(lambda: any("Join code" in t for t in group_texts(tg)), "the show opened")
            press = tg.push_callback(bar, bob, 1, "c:no-such-token")
            assert await tg.flush_to_webhook() == [200]
            status, body = await tg.post_update_to(url + WEBHOOK_PATH, press, SECRET)  # Telegram retried it
            assert (status, body) == (200, '{"ok":true}'), "the webhook's response answers no press itself"
            await eventually(lambda: len(tg.callback_answers) == 1, "the press answered")
            tg.push_message(bar, kay, "/queue")
            assert await tg.flush_to_webhook() == [200]
            await eventually(lambda: len(group_texts(tg)) == 2, "Kay's queue")

        assert answers(tg) == [(press["callback_query"]["id"], EXPIRED)]
        assert len(tg.calls_to("answerCallbackQuery")) == 1
        assert not any(EXPIRED in t for t in group_texts(tg))
