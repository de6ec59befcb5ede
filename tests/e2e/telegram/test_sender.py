"""What happens to a queued reply when Telegram takes it, throttles it, or will never take it."""

from __future__ import annotations

from datetime import timedelta

from telegram import Bot

from bots.telegram import TelegramSender
from core.chat import Button, Person, Reply, Room
from core.delivery import Delivered, OutboxItem, PermanentFailure, RetryLater, SendOutcome
from tests.standins import FakeTelegram

ANN_ID = 1001
GROUP_ID = -1001234567890


def _item(reply: Reply, key: str = "k1") -> OutboxItem:
    return OutboxItem(item_id=1, key=key, platform="telegram", reply=reply, context={}, attempts=0,
                      chat=f"room:{reply.room.room_id}" if reply.room else "private", group=False)


def _to_ann(text: str = "You're next!", buttons: tuple[Button, ...] = ()) -> OutboxItem:
    return _item(Reply(None, Person("telegram", str(ANN_ID), "Ann"), text, buttons))


async def _send(tg: FakeTelegram, bot: Bot, item: OutboxItem) -> SendOutcome:
    tg.private_chat(tg.user(ANN_ID, "Ann"))
    return await TelegramSender(bot, network_backoff=3.0).send(item)


async def test_a_reply_with_buttons_is_delivered_with_its_inline_keyboard(tg: FakeTelegram, bot: Bot) -> None:
    tg.group(GROUP_ID)
    reply = Reply(Room("telegram", str(GROUP_ID), False), None, "Which one?",
                  (Button("Dreams — The Cranberries", "c:tok1"), Button("Dreams — Fleetwood Mac", "c:tok2")))
    assert await TelegramSender(bot).send(_item(reply)) == Delivered()
    [message] = tg.sent_messages(GROUP_ID)
    assert message["text"] == "Which one?"
    assert message["reply_markup"] == {"inline_keyboard": [
        [{"text": "Dreams — The Cranberries", "callback_data": "c:tok1"}],
        [{"text": "Dreams — Fleetwood Mac", "callback_data": "c:tok2"}]]}


async def test_flood_control_asks_to_retry_after_telegrams_seconds(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", 429, retry_after=17)
    outcome = await _send(tg, bot, _to_ann())
    assert isinstance(outcome, RetryLater) and outcome.seconds == timedelta(seconds=17).total_seconds()
    assert tg.sent_messages(ANN_ID) == []


async def test_a_user_who_blocked_the_bot_is_a_permanent_failure(tg: FakeTelegram, bot: Bot) -> None:
    tg.block(ANN_ID)
    outcome = await _send(tg, bot, _to_ann())
    assert isinstance(outcome, PermanentFailure) and "blocked" in outcome.reason


async def test_a_forbidden_answer_is_a_permanent_failure(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", 403)
    assert isinstance(await _send(tg, bot, _to_ann()), PermanentFailure)


async def test_a_chat_that_does_not_exist_is_a_permanent_failure(tg: FakeTelegram, bot: Bot) -> None:
    outcome = await TelegramSender(bot).send(_item(Reply(Room("telegram", "-42", False), None, "hello")))
    assert isinstance(outcome, PermanentFailure) and "chat not found" in outcome.reason.lower()
    tg.fail_next("sendMessage", 400)
    assert isinstance(await _send(tg, bot, _to_ann()), PermanentFailure)


async def test_a_dropped_connection_is_retried_after_a_short_pause(tg: FakeTelegram, bot: Bot) -> None:
    tg.drop_connection_next("sendMessage")
    outcome = await _send(tg, bot, _to_ann())
    assert isinstance(outcome, RetryLater) and outcome.seconds == 3.0
    assert tg.sent_messages(ANN_ID) == []
    assert await TelegramSender(bot).send(_to_ann()) == Delivered()
    assert [m["text"] for m in tg.sent_messages(ANN_ID)] == ["You're next!"]


async def test_a_group_upgraded_to_a_supergroup_gets_the_reply_at_its_new_id(tg: FakeTelegram, bot: Bot) -> None:
    tg.group(-555, type="group")
    tg.group(GROUP_ID)
    tg.fail_next("sendMessage", migrate_to_chat_id=GROUP_ID, chat_id=-555)
    outcome = await TelegramSender(bot).send(_item(Reply(Room("telegram", "-555", False), None, "Now singing: Ann")))
    assert outcome == Delivered()
    assert [m["text"] for m in tg.sent_messages(GROUP_ID)] == ["Now singing: Ann"]


async def test_a_split_reply_retried_after_a_throttle_does_not_repeat_the_parts_already_sent(
        tg: FakeTelegram, bot: Bot) -> None:
    tg.private_chat(tg.user(ANN_ID, "Ann"))
    sender = TelegramSender(bot)
    item = _to_ann("\n".join(["a" * 3000, "b" * 3000, "c" * 3000]))
    _throttle_second_send(tg)
    assert isinstance(await sender.send(item), RetryLater)
    assert [m["text"][0] for m in tg.sent_messages(ANN_ID)] == ["a"]
    assert await sender.send(item) == Delivered()
    assert [m["text"][0] for m in tg.sent_messages(ANN_ID)] == ["a", "b", "c"]


def _throttle_second_send(tg: FakeTelegram) -> None:
    calls = 0

    def on_second_call(params: dict[str, object]) -> bool:
        nonlocal calls
        calls += 1
        return calls == 2

    tg.fail_next("sendMessage", 429, retry_after=1)
    # fail_next only narrows faults by chat; the fault's predicate lets the first part through.
    tg._faults[-1].match = on_second_call


async def test_a_reply_with_nowhere_to_go_is_a_permanent_failure(tg: FakeTelegram, bot: Bot) -> None:
    assert isinstance(await TelegramSender(bot).send(_item(Reply(None, None, "hello"))), PermanentFailure)
    assert tg.calls_to("sendMessage") == []
