"""Fixtures: a FakeTelegram on loopback and a real, initialized ``telegram.Bot`` pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

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
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as real_bot:
        yield real_bot


@pytest.fixture
def inbox() -> MemoryInbox:
    return MemoryInbox()
