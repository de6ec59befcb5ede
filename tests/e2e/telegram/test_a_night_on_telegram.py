"""A karaoke night through Telegram: updates in by the poller, answered by the real core, out by the sender."""

from __future__ import annotations

import itertools
from typing import Any

from telegram import Bot

from bots.telegram import TelegramPoller, TelegramSender
from core.delivery import Delivered, OutboxItem, answers_press
from core.delivery.worker import outgoing_for
from tests.e2e.telegram.conftest import BOT_USERNAME
from tests.e2e.telegram.fakes import MemoryInbox
from tests.standins import FakeTelegram
from tests.unit.chat.fakes import Night

GROUP_ID = -1001234567890
KIM, ANN = 1001, 1002


class Relay:
    """What the inbox and outbox workers do, in-line: poll once, answer each new event, send each reply
    (a button press's answer as the callback answer)."""

    def __init__(self, night: Night, bot: Bot, inbox: MemoryInbox) -> None:
        self.night = night
        self.inbox = inbox
        self.poller = TelegramPoller(bot, inbox, bot_username=BOT_USERNAME, timeout=0)
        self.sender = TelegramSender(bot)
        self.ids = itertools.count(1)

    async def round(self) -> None:
        await self.poller.poll_once()
        for event, context in self.inbox.take_new_items():
            for row in outgoing_for(event, await self.night.bot.handle(event), context):
                item = OutboxItem(next(self.ids), row.key, "telegram", row.reply, row.context, 0, "chat", False)
                sent = self.sender.answer_press(item) if answers_press(row) else self.sender.send(item)
                assert await sent == Delivered()


def _texts(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m["text"] for m in tg.sent_messages(chat_id)]


def _button(message: dict[str, Any], label_part: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return str(next(row[0]["callback_data"] for row in rows if label_part in row[0]["text"]))


async def test_a_kj_opens_in_the_group_a_singer_joins_and_picks_a_song_and_only_the_kj_advances(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    night = await Night(bot_username=BOT_USERNAME).start()
    relay = Relay(night, bot, inbox)
    group = tg.group(GROUP_ID, "Friday bar")
    kim, ann = tg.user(KIM, "Kim", "kim_kj"), tg.user(ANN, "Ann", "ann")

    tg.push_message(group, kim, f"/open@{BOT_USERNAME} Friday Night")
    await relay.round()
    [opened] = _texts(tg, GROUP_ID)
    assert "“Friday Night” is open! Join code:" in opened
    code = opened.split("Join code: ")[1][:5]

    tg.push_message(None, ann, f"/start {code}")  # the deep link from the screen's QR code
    await relay.round()
    assert "You're in “Friday Night”!" in _texts(tg, ANN)[-1]

    tg.push_message(None, ann, "/request dreems")
    await relay.round()
    choice = tg.sent_messages(ANN)[-1]
    assert "Which one did you mean by “dreems”?" in choice["text"]
    assert [row[0]["text"] for row in choice["reply_markup"]["inline_keyboard"]] == [
        "Dreams — The Cranberries", "Dreams — Fleetwood Mac"]

    press = tg.push_callback(None, ann, choice["message_id"], _button(choice, "Fleetwood Mac"))
    await relay.round()
    assert "Queued Dreams — Fleetwood Mac. You're next" in _texts(tg, ANN)[-1]
    assert [a["callback_query_id"] for a in tg.callback_answers] == [press["callback_query"]["id"]]

    tg.push_message(group, kim, "/next")
    tg.push_message(group, ann, "/next")  # not the KJ
    tg.push_message(group, ann, "good luck everyone!")  # chatter: no answer
    await relay.round()
    assert _texts(tg, GROUP_ID)[1:] == ["Now singing: Ann — Dreams (Fleetwood Mac).", "Only the show's KJ can do that."]

    await relay.poller.poll_once()  # its offset confirms the last batch
    assert tg.pending_updates == []
    assert len(inbox.items) == 6  # the chatter was confirmed to Telegram but never stored
    assert all("good luck" not in getattr(event, "text", "") for event, _ in inbox.items)
