"""A hand-written in-memory ``Inbox`` (just the part the intake uses) that can fail like a database does."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from core.chat import ChatEvent


class StorageDown(Exception):
    """The simulated database outage."""


@dataclass
class MemoryInbox:
    """Stores each (platform, update_key) once; ``fail_next`` makes the next puts raise; ``on_put`` watches.

    ``put_many`` is one put for ``fail_next``: a batch is stored whole or, when it fails, not at all.
    """

    items: list[tuple[ChatEvent, dict[str, str]]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    failures_left: int = 0
    batches: list[int] = field(default_factory=list)  # the size of every batch put_many stored
    successes_before_failure: int = 0
    on_put: Callable[[ChatEvent], None] | None = None
    handled: int = 0  # how many items a test has already taken out with ``take_new``

    def fail_next(self, times: int = 1, *, after: int = 0) -> None:
        """The next ``times`` puts raise, once ``after`` more puts have gone through."""
        self.failures_left = times
        self.successes_before_failure = after

    async def put(self, event: ChatEvent, context: Mapping[str, str] | None = None) -> bool:
        return (await self.put_many([(event, context or {})], batch=False))[0]

    async def put_many(self, events: Sequence[tuple[ChatEvent, Mapping[str, str]]], *,
                       batch: bool = True) -> list[bool]:
        for event, _ in events:
            if self.on_put is not None:
                self.on_put(event)
        if self.failures_left > 0 and self.successes_before_failure > 0:
            self.successes_before_failure -= 1
        elif self.failures_left > 0:
            self.failures_left -= 1
            raise StorageDown("database is unreachable")
        flags = []
        for event, context in events:
            key = (event.person.platform, event.update_key)
            if any((e.person.platform, e.update_key) == key for e, _ in self.items):
                self.duplicates.append(event.update_key)
                flags.append(False)
            else:
                self.items.append((event, dict(context)))
                flags.append(True)
        if batch:
            self.batches.append(len(events))
        return flags

    @property
    def events(self) -> list[ChatEvent]:
        return [event for event, _ in self.items]

    @property
    def keys(self) -> list[str]:
        return [event.update_key for event in self.events]

    def take_new(self) -> list[ChatEvent]:
        """The events stored since the last call, oldest first (what an inbox worker would claim)."""
        return [event for event, _ in self.take_new_items()]

    def take_new_items(self) -> list[tuple[ChatEvent, dict[str, str]]]:
        """``take_new`` with each event's context (what its replies need from the platform)."""
        new = self.items[self.handled:]
        self.handled = len(self.items)
        return new
