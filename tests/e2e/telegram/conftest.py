"""Fixtures: a FakeTelegram on loopback and a real, initialized ``telegram.Bot`` pointed at it, built as the
service builds its own (``bots.telegram.telegram_bot``: PTB on the aiohttp transport)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bots.telegram import telegram_bot
from tests.e2e.telegram.fakes import MemoryInbox
from tests.standins import FakeTelegram

BOT_USERNAME = "karaoke_test_bot"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without it PTB 22 warns on every RetryAfter it builds, and filterwarnings=error turns that into a failure.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(bot_username=BOT_USERNAME) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with telegram_bot(tg.token, tg.origin) as real_bot:
        yield real_bot


@pytest.fixture
def inbox() -> MemoryInbox:
    return MemoryInbox()
