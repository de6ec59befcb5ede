"""The ports of delivery: where updates wait to be handled, where replies wait to be sent, who sends."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from core.chat import ChatEvent, Reply, Room
from core.delivery.limits import Window


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A stored inbound update. ``context`` carries what a reply needs from the platform (a Slack response_url)."""

    item_id: int
    event: ChatEvent
    context: Mapping[str, str] = field(default_factory=dict)
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply to queue. ``key`` is unique forever: queueing the same key twice sends once."""

    key: str
    platform: str
    reply: Reply
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A queued reply as claimed for sending."""

    item_id: int
    key: str
    platform: str
    reply: Reply
    context: Mapping[str, str]
    attempts: int
    # The chat a rate limit counts against ("private:<user>" or "room:<id>"), and whether it is a group.
    chat: str
    group: bool


@dataclass(frozen=True, slots=True)
class Delivered:
    """The platform took the message."""


@dataclass(frozen=True, slots=True)
class RetryLater:
    """Try again after ``seconds`` (the platform's retry_after, or a network error's back-off)."""

    seconds: float
    reason: str


@dataclass(frozen=True, slots=True)
class PermanentFailure:
    """Never going to work (bot blocked, chat not found, bad request): record it, do not retry."""

    reason: str


SendOutcome = Delivered | RetryLater | PermanentFailure


@dataclass(frozen=True, slots=True)
class FreeChannel:
    """A way to deliver one reply that the platform does not count against its rate limits.

    Some platforms answer a request through a channel of its own (a Slack command's response_url)
    that is free of the room's and the bot's message limits but has a budget of its own: at most
    ``budget.count`` posts within ``budget.seconds``, kept per ``key`` (one key per channel; it is
    bookkeeping only, never shown or logged). ``cost`` is how many posts of that budget this reply takes.
    """

    key: str
    budget: Window
    cost: int = 1


@dataclass(frozen=True, slots=True)
class ChannelClosed:
    """The free channel took nothing (used up, expired): deliver the reply the limited way instead."""

    reason: str


class Sender(Protocol):
    """Sends replies on one platform. Must not raise: every failure is an outcome."""

    platform: str

    async def send(self, item: OutboxItem) -> SendOutcome:
        """Deliver one reply and say how it went."""
        ...


@runtime_checkable
class TogetherSender(Protocol):
    """A ``Sender`` that can also say several short answers for one group room as one message.

    ``max_length`` is the platform's limit on a message's text as ``measure`` counts it; the
    dispatcher never hands ``send_together`` more lines than fit (see ``core.delivery.coalesce``).
    """

    platform: str
    max_length: int

    async def send(self, item: OutboxItem) -> SendOutcome:
        """Deliver one reply and say how it went."""
        ...

    def measure(self, text: str) -> int:
        """The length of ``text`` as the platform counts it against ``max_length``."""
        ...

    async def send_together(self, items: Sequence[OutboxItem]) -> SendOutcome:
        """Deliver ``items`` (mergeable replies to one room) as one message, one line each; never raises."""
        ...


@runtime_checkable
class FreeChannelSender(Protocol):
    """A ``Sender`` that can also deliver some replies through a free channel (see ``FreeChannel``).

    The platform's adapter decides which replies may go that way and what the channel's budget is;
    the dispatcher keeps the budget and, when the channel is used up or closed, sends the reply with
    ``send`` under the platform's rate limits, as any other.
    """

    platform: str

    async def send(self, item: OutboxItem) -> SendOutcome:
        """Deliver one reply the limited way (counted against the platform's rate limits)."""
        ...

    def free_channel(self, item: OutboxItem, now: datetime) -> FreeChannel | None:
        """The free channel ``item`` may go through at ``now``, or None (then only ``send``)."""
        ...

    async def send_free(self, item: OutboxItem, channel: FreeChannel) -> SendOutcome | ChannelClosed:
        """Deliver ``item`` through ``channel``; ``ChannelClosed`` when the channel took nothing. Never raises."""
        ...


@runtime_checkable
class PressAnswerer(Protocol):
    """A ``Sender`` that can also answer a button press on the press's own channel (Telegram's callback answer).

    See ``core.delivery.presses``: the item's context names the press; its reply's text (at most the
    platform's ``PRESS_ANSWER_MAX``, or empty: only acknowledge the press) is shown to the presser alone.
    """

    platform: str

    async def send(self, item: OutboxItem) -> SendOutcome:
        """Deliver one reply and say how it went."""
        ...

    async def answer_press(self, item: OutboxItem) -> SendOutcome:
        """Answer the press ``item`` answers with its reply's text; never raises. ``PermanentFailure`` when
        the platform will not take the answer (the press was answered or is too old)."""
        ...


class PrivateChats(Protocol):
    """Who can be answered privately: the private chats people opened with the bot."""

    async def private_room(self, platform: str, user_id: str) -> Room | None:
        """The private chat ``(platform, user_id)`` opened with the bot, or None if they never did."""
        ...


class Inbox(Protocol):
    """Inbound updates, stored before the platform is told we have them."""

    async def put(self, event: ChatEvent, context: Mapping[str, str] | None = None) -> bool:
        """Store ``event`` once per (platform, update_key); False when it was already stored (a redelivery)."""
        ...

    async def put_many(self, events: Sequence[tuple[ChatEvent, Mapping[str, str]]]) -> list[bool]:
        """Store a batch of (event, context) pairs all at once or not at all, each once per (platform, update_key).

        One flag per pair, in order: False for an event stored before, or earlier in the same batch.
        """
        ...

    async def claim(self, limit: int, now: datetime, lease_seconds: float = 60) -> list[InboxItem]:
        """Up to ``limit`` unhandled items nobody else holds, oldest first, leased to the caller.

        A lease that runs out (the holder died) makes the item claimable again.
        """
        ...

    async def finish(self, item_id: int, replies: Sequence[Outgoing], now: datetime) -> None:
        """Mark the item handled and queue its replies, atomically."""
        ...

    async def finish_many(self, finished: Sequence[tuple[int, Sequence[Outgoing]]], now: datetime) -> None:
        """``finish`` for several (item_id, replies) pairs in one atomic step: all of them or none."""
        ...

    async def release(self, item_id: int, error: str, retry_at: datetime) -> None:
        """Give the item back after a failure; it is claimable again at ``retry_at``."""
        ...


class Outbox(Protocol):
    """Replies waiting to be sent."""

    async def claim(self, platform: str, limit: int, now: datetime, lease_seconds: float = 60) -> list[OutboxItem]:
        """Up to ``limit`` due, unsent items of ``platform`` nobody else holds, oldest first, leased."""
        ...

    async def delivered(self, item_id: int, now: datetime) -> None:
        """Record that the item was sent."""
        ...

    async def delivered_many(self, item_ids: Sequence[int], now: datetime,
                             routes: Mapping[int, tuple[str, bool]] | None = None,
                             free_of_limits: Collection[int] = ()) -> None:
        """Record that all these items were sent (``now`` is no earlier than any of the sends).

        ``routes`` names, for items that went elsewhere than queued (an answer said privately because
        the group was busy; a press answer said as a message), the (chat, group) it went to: the rate
        limits count it there from now on. Those in ``free_of_limits`` went through a free channel:
        ``recent_sends`` leaves them out.
        """
        ...

    async def retry(self, item_id: int, at: datetime, reason: str) -> None:
        """Release the item to be tried again at ``at``."""
        ...

    async def failed(self, item_id: int, reason: str, now: datetime) -> None:
        """Record a permanent failure; the item is never tried again."""
        ...

    async def postpone(self, item_id: int, at: datetime) -> None:
        """Give back a claimed item that was not tried (its turn comes after the lease); not counted as a try."""
        ...

    async def recent_sends(self, platform: str, since: datetime) -> list[tuple[str, bool, datetime]]:
        """(chat, group, sent_at) of every item of ``platform`` sent since ``since``, by any instance,
        that counts against the platform's rate limits (not those sent through a free channel)."""
        ...


class SendingTurn(Protocol):
    """Which instance sends for a platform.

    A platform's rate limits are per bot, not per instance, and only the sender knows which of its
    requests are still on the way; so one instance at a time sends for each platform.
    """

    async def take(self, platform: str) -> bool:
        """Whether this process may send for ``platform`` now, taking the turn if nobody holds it."""
        ...
