"""In a group, only what is addressed to the bot reaches the inbox: commands, mentions of it, replies to it."""

from __future__ import annotations

from telegram import Bot

from bots.telegram import TelegramPoller
from core.chat import Said
from tests.e2e.telegram.conftest import BOT_USERNAME
from tests.e2e.telegram.fakes import MemoryInbox
from tests.standins import FakeTelegram

GROUP = -1001234567890


async def test_chatter_is_confirmed_but_never_stored_while_commands_mentions_and_replies_to_the_bot_are(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    group = tg.group(GROUP, "Friday bar")
    ann, bob = tg.user(1001, "Ann", "ann"), tg.user(1002, "Bob", "bob")
    ours = await bot.send_message(GROUP, "Now singing: Ann")
    said = tg.push_message(group, ann, "my phone number is 555-0100, call me")
    tg.push_message(group, bob, "555-0199 here", reply_to_message_id=said["message"]["message_id"])
    tg.push_message(group, bob, "/queue@other_bot")
    tg.push_message(group, ann, "/queue")
    tg.push_message(group, bob, f"@{BOT_USERNAME} what's on?")
    tg.push_message(group, ann, "great song!", reply_to_message_id=ours.message_id)
    last = tg.push_message(None, ann, "anything in private is for the bot")

    poller = TelegramPoller(bot, inbox, bot_username=BOT_USERNAME, timeout=0)
    await poller.poll_once()
    await poller.poll_once()  # confirms the batch

    assert [e.text for e in inbox.events if isinstance(e, Said)] == [
        "/queue", f"@{BOT_USERNAME} what's on?", "great song!", "anything in private is for the bot"]
    assert tg.pending_updates == [] and last["update_id"] in tg.confirmed_update_ids
