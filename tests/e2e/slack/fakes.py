"""A hand-written in-memory ``Inbox`` and the loop that drains it through the bot and a ``Sender``."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from core.chat import ChatBot, ChatEvent
from core.delivery import InboxItem, OutboxItem, Outgoing, Sender, SendOutcome


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


async def drain(inbox: MemoryInbox, bot: ChatBot, sender: Sender, now: datetime) -> list[SendOutcome]:
    """Handle every stored event and send each reply at once; the outcomes in order."""
    outcomes: list[SendOutcome] = []
    for item in await inbox.claim(100, now):
        replies = await bot.handle(item.event)
        outgoing = [Outgoing(f"{item.item_id}:{n}", sender.platform, reply, item.context)
                    for n, reply in enumerate(replies)]
        await inbox.finish(item.item_id, outgoing, now)
        for n, out in enumerate(outgoing):
            chat = f"room:{out.reply.room.room_id}" if out.reply.room else "private:?"
            queued = OutboxItem(item.item_id * 100 + n, out.key, out.platform, out.reply, out.context, 0, chat,
                                bool(out.reply.room and not out.reply.room.private))
            outcomes.append(await sender.send(queued))
    return outcomes
