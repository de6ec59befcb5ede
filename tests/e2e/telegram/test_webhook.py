"""The webhook answers Telegram only after the update is stored, and only when the secret is right."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from fastapi import FastAPI

from bots.telegram import WEBHOOK_PATH, webhook_router
from core.chat import Pressed, Said
from core.delivery import PRESS
from tests.e2e.telegram.conftest import BOT_USERNAME
from tests.e2e.telegram.fakes import MemoryInbox
from tests.standins import FakeTelegram, serve_asgi

SECRET = "s3cret_token-for-tests"


@pytest.fixture
async def url(inbox: MemoryInbox) -> AsyncIterator[str]:
    app = FastAPI()
    app.include_router(webhook_router(inbox, SECRET, BOT_USERNAME))
    async with serve_asgi(app) as origin:
        yield origin + WEBHOOK_PATH


async def _post_raw(url: str, body: bytes, secret: str = SECRET) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session, \
            session.post(url, data=body, headers=headers) as response:
        return response.status, await response.json()


async def test_an_update_with_the_right_secret_is_stored_then_acknowledged(
        tg: FakeTelegram, url: str, inbox: MemoryInbox) -> None:
    update = tg.push_message(tg.group(), tg.user(1001, "Ann"), "/request zombie")
    status, body = await tg.post_update_to(url, update, SECRET)
    assert status == 200 and json.loads(body) == {"ok": True}
    [event] = inbox.events
    assert isinstance(event, Said) and event.text == "/request zombie" and event.update_key == str(update["update_id"])
    assert await tg.post_update_to(url, update, SECRET) == (200, body)  # a repeat is acknowledged, stored once
    assert inbox.duplicates == [str(update["update_id"])]


async def test_a_button_press_is_stored_with_its_query_and_left_for_the_outbox_to_answer(
        tg: FakeTelegram, url: str, inbox: MemoryInbox) -> None:
    # Its answer may be its reply (a toast), which is not known yet: the webhook response answers nothing.
    press = tg.push_callback(None, tg.user(1001, "Ann"), 3, "c:tok1")
    status, body = await tg.post_update_to(url, press, SECRET)
    assert status == 200 and json.loads(body) == {"ok": True}
    [(event, context)] = inbox.items
    assert isinstance(event, Pressed) and context == {PRESS: press["callback_query"]["id"]}
    assert tg.callback_answers == []


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
async def test_a_wrong_or_missing_secret_is_forbidden_and_stores_nothing(
        tg: FakeTelegram, url: str, inbox: MemoryInbox, secret: str | None) -> None:
    update = tg.push_message(None, tg.user(1001, "Ann"), "/start K7QX2")
    status, body = await tg.post_update_to(url, update, secret)
    assert status == 403
    assert json.loads(body)["error"]["code"] == "forbidden"
    assert inbox.items == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "x"}',
                                  b'{"update_id": true}', b"", b"\xff\xfe"])
async def test_a_malformed_body_is_a_bad_request(url: str, inbox: MemoryInbox, body: bytes) -> None:
    status, answer = await _post_raw(url, body)
    assert status == 400 and answer["error"]["code"] == "validation-error"
    assert inbox.items == []


@pytest.mark.parametrize("update", [
    {"update_id": 9, "my_chat_member": {
        "chat": {"id": -5, "type": "group", "title": "g"}, "from": {"id": 1, "is_bot": False, "first_name": "A"},
        "date": 0, "old_chat_member": {"status": "left", "user": {"id": 9, "is_bot": True, "first_name": "B"}},
        "new_chat_member": {"status": "member", "user": {"id": 9, "is_bot": True, "first_name": "B"}}}},
    # A shape this PTB cannot parse: sending it again would never help, so it is acknowledged (and logged).
    {"update_id": 10, "message": {"text": "hi"}},
], ids=["not for the bot", "unparseable"])
async def test_an_update_the_bot_cannot_use_is_acknowledged_and_dropped(
        url: str, inbox: MemoryInbox, update: dict[str, Any]) -> None:
    status, _ = await _post_raw(url, json.dumps(update).encode())
    assert status == 200 and inbox.items == []


async def test_when_storing_fails_telegram_is_told_to_deliver_again(
        tg: FakeTelegram, url: str, inbox: MemoryInbox) -> None:
    update = tg.push_message(None, tg.user(1001, "Ann"), "/request zombie")
    inbox.fail_next()
    status, body = await tg.post_update_to(url, update, SECRET)
    assert status == 503 and json.loads(body)["error"]["code"] == "unavailable"
    assert inbox.items == []
    assert (await tg.post_update_to(url, update, SECRET))[0] == 200
    assert inbox.keys == [str(update["update_id"])]


async def test_telegram_delivering_pending_updates_confirms_only_the_stored_ones(
        tg: FakeTelegram, url: str, inbox: MemoryInbox) -> None:
    tg.webhook.update({"url": url, "secret_token": SECRET})
    first = tg.push_message(None, tg.user(1001, "Ann"), "/start K7QX2")
    second = tg.push_message(None, 1001, "/request zombie")
    inbox.fail_next()
    assert await tg.flush_to_webhook() == [503, 200]
    assert [u["update_id"] for u in tg.pending_updates] == [first["update_id"]]
    assert await tg.flush_to_webhook() == [200]
    assert sorted(inbox.keys) == sorted([str(first["update_id"]), str(second["update_id"])])


def test_a_webhook_needs_a_secret_telegram_accepts(inbox: MemoryInbox) -> None:
    for bad in ("", "has space", "ü" * 3, "x" * 257):
        with pytest.raises(ValueError):
            webhook_router(inbox, bad)


class DatabaseAway:
    """Outages that recognise the inbox's "database is unreachable" failures, and count them."""

    def __init__(self) -> None:
        self.absorbed = 0

    def absorbs(self, error: BaseException) -> bool:
        if "unreachable" in str(error):
            self.absorbed += 1
            return True
        return False


async def test_during_a_database_outage_the_webhook_answers_503_without_a_traceback_per_update(
        tg: FakeTelegram, inbox: MemoryInbox, caplog: pytest.LogCaptureFixture) -> None:
    outages = DatabaseAway()
    app = FastAPI()
    app.include_router(webhook_router(inbox, SECRET, BOT_USERNAME, outages=outages))
    async with serve_asgi(app) as origin:
        inbox.fail_next(5)
        with caplog.at_level(logging.INFO, logger="bots.telegram.intake"):
            for n in range(5):
                update = tg.push_message(None, tg.user(1001 + n, "Ann"), "/queue")
                status, body = await tg.post_update_to(origin + WEBHOOK_PATH, update, SECRET)
                assert status == 503 and json.loads(body)["error"]["code"] == "unavailable"
    assert outages.absorbed == 5, "each failure went to the outage, which logs once"
    assert [r for r in caplog.records if r.name == "bots.telegram.intake"] == []
