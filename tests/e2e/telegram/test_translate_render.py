"""Telegram updates become neutral events, and neutral replies become messages Telegram accepts."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, InlineKeyboardMarkup, Update

from bots.telegram import MAX_TEXT, context_of, event_from_update, render, split_text
from core.chat import MAX_BUTTON_DATA_BYTES, Button, Person, Pressed, Reply, Room, Said
from core.delivery import PRESS
from tests.e2e.telegram.conftest import BOT_USERNAME
from tests.standins import FakeTelegram


def _update(data: dict[str, Any], bot: Bot | None = None) -> Update:
    update = Update.de_json(data, bot)
    assert update is not None
    return update


def test_a_private_message_is_said_by_the_person_in_their_private_room(tg: FakeTelegram) -> None:
    ann = tg.user(1001, "Ann", "ann_sings", last_name="Lee")
    raw = tg.push_message(None, ann, "/start K7QX2")
    event = event_from_update(_update(raw), BOT_USERNAME)
    assert event == Said(Person("telegram", "1001", "Ann Lee", "ann_sings", False),
                         Room("telegram", "1001", True), "/start K7QX2", str(raw["update_id"]))
    assert context_of(_update(raw)) == {}


def test_a_group_message_is_said_in_a_shared_room(tg: FakeTelegram) -> None:
    group = tg.group(-1001234567890, "Friday bar")
    bob = tg.user(1002, "Bob")
    event = event_from_update(_update(tg.push_message(group, bob, "/request zombie")), BOT_USERNAME)
    assert isinstance(event, Said)
    assert event.room == Room("telegram", "-1001234567890", False)
    assert event.person == Person("telegram", "1002", "Bob", None, False)


def test_an_edited_message_is_a_new_said_with_its_own_update_key(tg: FakeTelegram) -> None:
    ann = tg.user(1001, "Ann")
    first = tg.push_message(None, ann, "/request dremas")
    edit = tg.push_edited_message(None, ann, first["message"]["message_id"], "/request dreams")
    event = event_from_update(_update(edit), BOT_USERNAME)
    assert isinstance(event, Said) and event.text == "/request dreams"
    assert event.update_key == str(edit["update_id"]) != str(first["update_id"])


def test_a_button_press_is_pressed_in_the_room_of_the_message_and_keeps_the_query_id(tg: FakeTelegram) -> None:
    group = tg.group()
    ann = tg.user(1001, "Ann")
    raw = tg.push_callback(group, ann, 7, "c:tok1")
    update = _update(raw)
    event = event_from_update(update, BOT_USERNAME)
    assert event == Pressed(Person("telegram", "1001", "Ann", None, False), Room("telegram", str(group["id"]), False),
                            "c:tok1", str(raw["update_id"]))
    assert context_of(update) == {PRESS: raw["callback_query"]["id"]}


def test_another_bot_is_translated_and_marked_so_the_core_ignores_it(tg: FakeTelegram) -> None:
    group = tg.group()
    other = {"id": 555, "is_bot": True, "first_name": "Spam", "username": "spam_bot"}
    event = event_from_update(_update(tg.push_message(group, other, "/next")), BOT_USERNAME)
    assert event is not None and event.person.is_bot


@pytest.mark.parametrize("raw", [
    {"update_id": 1, "my_chat_member": {
        "chat": {"id": -5, "type": "group", "title": "g"}, "from": {"id": 1, "is_bot": False, "first_name": "A"},
        "date": 0, "old_chat_member": {"status": "left", "user": {"id": 9, "is_bot": True, "first_name": "B"}},
        "new_chat_member": {"status": "member", "user": {"id": 9, "is_bot": True, "first_name": "B"}}}},
    {"update_id": 2, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"},
                                 "from": {"id": 1, "is_bot": False, "first_name": "A"},
                                 "sticker": {"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1,
                                             "is_animated": False, "is_video": False, "type": "regular"}}},
    {"update_id": 3, "channel_post": {"message_id": 1, "date": 0, "chat": {"id": -100, "type": "channel"},
                                      "text": "hello"}},
], ids=["bot added to a group", "a sticker", "a channel post"])
def test_updates_without_text_or_a_press_are_ignored(raw: dict[str, Any]) -> None:
    assert event_from_update(_update(raw), BOT_USERNAME) is None


# --- render -----------------------------------------------------------------------------------

ANN = Person("telegram", "1001", "Ann")
GROUP = Room("telegram", "-1001234567890", False)


def test_a_reply_to_a_room_goes_to_that_chat_and_a_private_reply_to_the_person() -> None:
    assert render(Reply(GROUP, ANN, "Queued Zombie.")) == [{"chat_id": -1001234567890, "text": "Queued Zombie."}]
    assert render(Reply(None, ANN, "Your turn is next.")) == [{"chat_id": 1001, "text": "Your turn is next."}]


def test_buttons_become_one_inline_button_per_row_carrying_the_data() -> None:
    data = "c:" + "x" * (MAX_BUTTON_DATA_BYTES - 2)
    [message] = render(Reply(GROUP, ANN, "Which one?", (Button("Dreams — Fleetwood Mac", data), Button("B", "c:b"))))
    markup = message["reply_markup"]
    assert isinstance(markup, InlineKeyboardMarkup)
    assert [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] == [
        [("Dreams — Fleetwood Mac", data)], [("B", "c:b")]]


def test_long_text_is_split_on_line_boundaries_and_the_buttons_go_under_the_last_part() -> None:
    lines = [f"{i}. Somebody — Some Song ({i})" for i in range(400)]
    messages = render(Reply(GROUP, ANN, "\n".join(lines), (Button("Cancel 1", "c:1"),)))
    assert len(messages) > 1
    assert all(len(m["text"].encode("utf-16-le")) // 2 <= MAX_TEXT for m in messages)
    assert "\n".join(m["text"] for m in messages).split("\n") == lines  # nothing lost, no line cut
    assert all("reply_markup" not in m for m in messages[:-1]) and "reply_markup" in messages[-1]


def test_a_single_overlong_line_is_cut_at_spaces_and_emoji_count_double() -> None:
    assert split_text("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert split_text("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert split_text("🎤🎤🎤", 4) == ["🎤🎤", "🎤"]
    assert split_text("   ") == []


async def test_every_split_part_is_accepted_by_telegram(tg: FakeTelegram, bot: Bot) -> None:
    ann = tg.user(1001, "Ann")
    tg.private_chat(ann)
    text = "\n".join("🎤 " + "la" * 90 for _ in range(120)) + "\n" + "x" * 9000
    for message in render(Reply(None, ANN, text)):
        await bot.send_message(**message)
    sent = "".join(m["text"] for m in tg.sent_messages(1001))
    assert sent.replace("\n", "") == text.replace("\n", "")
