"""A hand-written in-memory ``Inbox`` and the loop that drains it through the bot and the real dispatcher."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from core.chat import ChatBot, ChatEvent
from core.delivery import InboxItem, Outgoing, Sender
from core.delivery.worker import Dispatcher, outgoing_for
from tests.unit.fakes import FakeClock, InMemoryOutbox


class MemoryInbox:
    """``core.delivery.Inbox`` in a list: ``put`` is unique on (platform, update_key); ``fail_with`` makes it raise."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.items: list[InboxItem] = []
        self.handled: set[int] = set()
        self.outbox: list[Outgoing] = []
        self.puts = 0
        self.fail_with = fail_with
        self._keys: set[tuple[str, str]] = set()
        self._ids = itertools.count(1)

    @property
    def events(self) -> list[ChatEvent]:
        return [item.event for item in self.items]

    async def put(self, event: ChatEvent, context: Mapping[str, str] | None = None) -> bool:
        self.puts += 1
        if self.fail_with is not None:
            raise self.fail_with
        key = (event.person.platform, event.update_key)
        if key in self._keys:
            return False
        self._keys.add(key)
        self.items.append(InboxItem(next(self._ids), event, dict(context or {})))
        return True

    async def claim(self, limit: int, now: datetime, lease_seconds: float = 60) -> list[InboxItem]:
        return [item for item in self.items if item.item_id not in self.handled][:limit]

    async def finish(self, item_id: int, replies: Sequence[Outgoing], now: datetime) -> None:
        self.handled.add(item_id)
        self.outbox.extend(replies)

    async def release(self, item_id: int, error: str, retry_at: datetime) -> None:
        self.items = [replace(item, attempts=item.attempts + 1) if item.item_id == item_id else item
                      for item in self.items]


class NoWait:
    """A sleeper that does not sleep (the dispatcher in ``drain`` keeps no rate limits)."""

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


async def drain(inbox: MemoryInbox, bot: ChatBot, sender: Sender, now: datetime) -> InMemoryOutbox:
    """Handle every stored event and send its replies through the real ``Dispatcher`` (no rate limits):
    free channels (a command's response_url) first, as the service does. The outbox, all of it sent or failed."""
    outbox = InMemoryOutbox()
    for item in await inbox.claim(100, now):
        replies = await bot.handle(item.event)
        outgoing = outgoing_for(item.event, replies, item.context)
        await inbox.finish(item.item_id, outgoing, now)
        await outbox.enqueue(outgoing, now)
    await Dispatcher(outbox, {sender.platform: sender}, FakeClock(now), NoWait(), time.monotonic,
                     limits={}).run_once()
    return outbox
