"""``ConsoleSender``: queued messages (reminders) for console people, printed into the running console."""

from __future__ import annotations

from bots.console.repl import PLATFORM, ConsoleChat
from core.delivery import Delivered, OutboxItem, SendOutcome


class ConsoleSender:
    """Implements ``core.delivery.Sender`` for the console: every person sits at the same terminal."""

    platform = PLATFORM

    def __init__(self, console: ConsoleChat) -> None:
        self._console = console

    async def send(self, item: OutboxItem) -> SendOutcome:
        self._console.notify(item.reply)
        return Delivered()
