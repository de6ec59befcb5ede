"""FakeTelegram proven against the real python-telegram-bot (polling Application and a bare Bot)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.standins.telegram_api import FakeTelegram, max_in_window


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def build_app(tg: FakeTelegram) -> Application:  # type: ignore[type-arg]
    return (Application.builder().token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url)
            .build())


@contextlib.asynccontextmanager
async def polling(app: Application, **kwargs: Any) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """initialize/start/start_polling, and the matching shutdown, bounded by timeouts."""
    async with asyncio.timeout(10):
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5, **kwargs)
    try:
        yield app
    finally:
        async with asyncio.timeout(10):
            await app.updater.stop()
            await app.stop()
            await app.shutdown()


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as b:
        yield b


async def test_ptb_builds_urls_that_reach_the_fake(tg: FakeTelegram, bot: Bot) -> None:
    assert bot.base_url == f"{tg.origin}/bot{tg.token}"
    me = await bot.get_me()
    assert me.username == "karaoke_test_bot" and me.is_bot
    call = tg.calls[-1]
    assert call.method == "getMe"


async def test_polling_application_answers_start(tg: FakeTelegram) -> None:
    alice = tg.user(1001, "Alice", "alice")
    app = build_app(tg)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"hello {update.effective_user.first_name}")  # type: ignore[union-attr]

    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        tg.push_message(None, alice, "/start")
        [reply] = await tg.wait_for_sent(alice["id"])
    assert reply["text"] == "hello Alice"
    assert reply["chat"] == {"id": 1001, "type": "private", "first_name": "Alice", "username": "alice"}
    assert reply["from"]["id"] == tg.bot_user["id"]
    send = tg.calls_to("sendMessage")[0]
    # PTB v22 posts url-encoded forms whose values are JSON-encoded (strings stay raw).
    assert send.content_type == "application/x-www-form-urlencoded"
    assert send.params["chat_id"] == 1001
    # Polling bootstrap: deleteWebhook first, then long polls with a timeout.
    assert tg.calls[0].method in ("getMe", "deleteWebhook")
    assert tg.calls_to("deleteWebhook")
    assert any(c.params.get("timeout") == 5 for c in tg.calls_to("getUpdates"))


async def test_group_command_with_bot_username_and_callback_round_trip(tg: FakeTelegram) -> None:
    bob = tg.user(2002, "Bob", "bob")
    room = tg.group(-1001000, "Friday Karaoke")
    app = build_app(tg)
    pressed: list[str] = []

    async def request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and context.args
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Queue it", callback_data=f"q:{context.args[0]}")]])
        await update.effective_message.reply_text(f"Found {' '.join(context.args)}", reply_markup=keyboard)

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        pressed.append(query.data)
        await query.answer("queued!")
        await query.edit_message_text("Queued ✔")

    app.add_handler(CommandHandler("request", request))
    app.add_handler(CallbackQueryHandler(button))
    async with polling(app):
        tg.push_message(room, bob, "/request@karaoke_test_bot Wonderwall")
        [found] = await tg.wait_for_sent(room["id"])
        assert found["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "q:Wonderwall"
        # PTB v22 reply_text quotes (reply_parameters) by default outside private chats.
        assert found["reply_to_message"]["text"].startswith("/request")
        tg.push_callback(room, bob, found["message_id"], "q:Wonderwall")
        await tg.wait_for_call("editMessageText")
    assert pressed == ["q:Wonderwall"]
    assert tg.callback_answers[0]["text"] == "queued!"
    edited = tg.message(room["id"], found["message_id"])
    assert edited is not None and edited["text"] == "Queued ✔" and "reply_markup" not in edited


async def test_offsets_confirm_updates_and_redeliver_offers_one_again(tg: FakeTelegram) -> None:
    carol = tg.user(3003, "Carol")
    app = build_app(tg)
    seen: list[int] = []

    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)

    app.add_handler(CommandHandler("ping", ping))
    async with polling(app):
        first = tg.push_message(None, carol, "/ping")
        second = tg.push_message(None, carol, "/ping")
        await tg.wait_until_confirmed(second["update_id"])
        assert tg.pending_updates == []
        assert tg.confirmed_update_ids == [first["update_id"], second["update_id"]]
        tg.redeliver(first["update_id"])
        async with asyncio.timeout(5):
            while seen.count(first["update_id"]) < 2:
                await asyncio.sleep(0.01)
        await tg.wait_until_confirmed(first["update_id"])
        async with asyncio.timeout(5):
            while tg.pending_updates:
                await asyncio.sleep(0.01)
    assert seen == [first["update_id"], second["update_id"], first["update_id"]]


async def test_raw_get_updates_offset_limit_and_long_poll(tg: FakeTelegram, bot: Bot) -> None:
    dave = tg.user(4004, "Dave")
    ids = [tg.push_message(None, dave, f"m{i}")["update_id"] for i in range(3)]
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates(offset=ids[2] + 1, timeout=0)] == []
    assert tg.confirmed_update_ids == ids
    # A long poll returns as soon as an update arrives.
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, tg.push_message, None, dave, "late")
    started = loop.time()
    updates = await bot.get_updates(offset=ids[2] + 1, timeout=5)
    assert len(updates) == 1 and updates[0].message.text == "late"  # type: ignore[union-attr]
    assert loop.time() - started < 2
    # ... and returns [] when the timeout elapses.
    started = loop.time()
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=1) == ()
    assert 0.9 < loop.time() - started < 3


async def test_delete_webhook_drop_pending_updates(tg: FakeTelegram, bot: Bot) -> None:
    erin = tg.user(5005, "Erin")
    tg.push_message(None, erin, "/start")
    assert await bot.set_webhook("https://example.invalid/hook", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.invalid/hook" and info.pending_update_count == 1
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert tg.pending_updates == [] and len(tg.dropped_updates) == 1
    assert (await bot.get_webhook_info()).url == ""


async def test_faults_surface_as_ptb_errors(tg: FakeTelegram, bot: Bot) -> None:
    frank = tg.user(6006, "Frank")
    tg.private_chat(frank)
    tg.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(frank["id"], "hi")
    assert caught.value.retry_after.total_seconds() == 3  # type: ignore[union-attr]
    tg.fail_next("sendMessage", 403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(frank["id"], "hi")
    tg.fail_next("sendMessage", 400)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(frank["id"], "hi")
    tg.drop_connection_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(frank["id"], "hi")
    message = await bot.send_message(frank["id"], "finally")
    assert message.message_id == 1 and tg.sent_messages(frank["id"])[0]["text"] == "finally"
    # Realistic refusals without injected faults:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "who?")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("finally", frank["id"], message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", frank["id"], 77)
    tg.block(frank)
    with pytest.raises(Forbidden):
        await bot.send_message(frank["id"], "still there?")


async def test_rate_accounting_and_enforcement(tg: FakeTelegram, bot: Bot) -> None:
    gina = tg.user(7007, "Gina")
    tg.private_chat(gina)
    await bot.send_message(gina["id"], "one")
    await bot.send_message(gina["id"], "two")
    assert tg.rate_violations() == ["chat 7007: 2 messages within 1 s (limit 1)"]
    tg.enforce_rate_limits = True
    with pytest.raises(RetryAfter):
        await bot.send_message(gina["id"], "three")
    assert max_in_window([0.0, 0.5, 1.0, 1.2], 1.0) == 3


async def test_webhook_post_update_to_sends_the_secret_header(tg: FakeTelegram) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    from aiohttp import web

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        hank = tg.user(8008, "Hank")
        update = tg.push_message(None, hank, "/start")
        status, _ = await tg.post_update_to(f"http://127.0.0.1:{port}/hook", update, "tok")
        assert status == 200 and received == [("tok", update)]
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="tok2")
        assert await tg.flush_to_webhook() == [200]
        assert received[-1][0] == "tok2" and tg.pending_updates == []
    finally:
        await runner.cleanup()


async def test_wrong_token_is_unauthorized(tg: FakeTelegram) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{tg.base_url}0:nope/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
