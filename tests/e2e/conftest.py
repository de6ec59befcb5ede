"""What every end-to-end test of the service shares: the Telegram and Slack stand-ins, and PTB's time units."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.standins import FakeSlack, FakeTelegram


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # python-telegram-bot v22 returns durations as timedelta with this set, and warns without it.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake
