"""In a group, only what is addressed to the bot reaches the inbox: commands, mentions of it, replies to it."""

from __future__ import annotations

from fastapi import FastAPI
from telegram import Bot

from bots.telegram import WEBHOOK_PATH, TelegramPoller, webhook_router
from core.chat import Said
from tests.e2e.telegram.conftest import BOT_USERNAME
from tests.e2e.telegram.fakes import MemoryInbox
from tests.standins import FakeTelegram, serve_asgi

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


async def test_the_webhook_acknowledges_group_chatter_without_storing_it(tg: FakeTelegram, inbox: MemoryInbox) -> None:
    app = FastAPI()
    app.include_router(webhook_router(inbox, "s3cret", BOT_USERNAME))
    group = tg.group(GROUP, "Friday bar")
    async with serve_asgi(app) as origin:
        chatter = tg.push_message(group, tg.user(1001, "Ann"), "my phone number is 555-0100, call me")
        command = tg.push_message(group, tg.user(1001, "Ann"), "/queue")
        assert (await tg.post_update_to(origin + WEBHOOK_PATH, chatter, "s3cret"))[0] == 200
        assert (await tg.post_update_to(origin + WEBHOOK_PATH, command, "s3cret"))[0] == 200
    assert [e.text for e in inbox.events if isinstance(e, Said)] == ["/queue"]
