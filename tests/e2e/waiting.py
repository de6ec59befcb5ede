"""Waiting for the real service to do something, and reading what the stand-in Telegram received."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tests.standins import FakeTelegram


async def eventually(check: Callable[[], Awaitable[bool] | bool], what: str = "", *, within: float = 10.0) -> None:
    """Return once ``check`` holds (it may be async); fail the test after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {within}s waiting{' for ' + what if what else ''}")
        await asyncio.sleep(0.05)


def texts(tg: FakeTelegram, chat_id: int) -> list[str]:
    """The text of every message the stand-in Telegram received for ``chat_id``, in order.

    A coalesced message (several answers to a group, one line each, each led by its singer's
    text mention and ": ") reads as one text per answer, without the name: what each would have said alone.
    """
    found: list[str] = []
    for message in tg.sent_messages(chat_id):
        text = message.get("text", "")
        if not any(e.get("type") == "text_mention" for e in message.get("entities", [])):
            found.append(text)
            continue
        found.extend(line.split(": ", 1)[1] if ": " in line else line for line in text.split("\n"))
    return found
