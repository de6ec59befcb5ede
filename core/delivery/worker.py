"""The two loops of delivery: handle stored updates, and send queued replies.

Each is a named object the composition root builds once and starts and stops: ``InboxWorker`` wakes
when this process stores an update (and looks every ``poll_seconds`` for other instances' updates);
``Dispatcher`` wakes when replies were queued here, and looks every ``poll_seconds`` too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Generic, Protocol, TypeVar

from core.chat import ChatEvent, Reply
from core.clock import Clock, Monotonic, Sleeper
from core.delivery.coalesce import coalesce
from core.delivery.limits import DEFAULT_LIMITS, PlatformLimits, RateLimiter
from core.delivery.ports import (
    Delivered,
    Inbox,
    InboxItem,
    Outbox,
    OutboxItem,
    Outgoing,
    PermanentFailure,
    Sender,
    SendingTurn,
    SendOutcome,
    TogetherSender,
)
from core.repeat import NoOutages, Outages, Repeat

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 8
RECENT = 61.0  # seconds of send history that the longest rate-limit window needs
MAX_HANDLE_ATTEMPTS = 5
# A send must start this long before its claim's lease runs out; later ones are given back instead,
# so another instance never claims a reply that this one is still about to send.
LEASE_MARGIN = 10.0
# Sends on their way at once, over all chats. More would not go out sooner: an HTTP client's pool spends
# time on every queued request each time a connection comes free, so a hundred sends at once cost about
# twice the CPU per send of eight (benchmarks/bots.py). Eight in flight still carry far more than
# Telegram's 30 messages a second at its round-trip times.
SENDS_AT_ONCE = 8
# Updates in hand at once, over all rooms. Each holds a database connection while it talks to the database;
# beyond the pool's size they would only queue for one (and make the pool open and close extra ones).
HANDLED_AT_ONCE = 8

T = TypeVar("T")


class ChatHandler(Protocol):
    """What answers a chat event (``core.chat.ChatBot``)."""

    async def handle(self, event: ChatEvent) -> list[Reply]:
        """The replies to ``event``."""
        ...



def outgoing_for(event: ChatEvent, replies: Sequence[Reply], context: Mapping[str, str]) -> list[Outgoing]:
    """The outbox rows for an event's replies; keyed by the update, so re-handling it queues nothing new."""
    platform = event.room.platform
    return [
        Outgoing(key=f"{platform}:{event.update_key}:{index}", platform=platform, reply=reply, context=context)
        for index, reply in enumerate(replies)
    ]


class GroupWrite(Generic[T]):
    """Writes handed in one at a time go to the database together (a group commit).

    The first caller writes its entry at once; entries handed in while that write is in flight wait
    and go together in the next write, and so on. Each caller returns once its own entry is written,
    or raises what the write raised. A busy pipeline thus makes one statement per batch instead of one
    per entry, and an idle one still writes each entry without delay.
    """

    def __init__(self, write: Callable[[list[T]], Awaitable[None]]) -> None:
        """``write`` stores a batch of entries atomically."""
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[None]]] = []
        self._writing = False

    async def __call__(self, entry: T) -> None:
        """Return once ``entry`` is written (together with whatever else was waiting)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((entry, done))
        if not self._writing:
            await self._write_waiting()
        await done

    async def _write_waiting(self) -> None:
        self._writing = True
        batch: list[tuple[T, asyncio.Future[None]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._write([entry for entry, _ in batch])
                except Exception as error:
                    _settle(batch, error)
                else:
                    _settle(batch, None)
                batch = []
        except BaseException:
            # Cancelled mid-write: nobody is left to write what waits, so none of it may wait forever.
            _settle(batch + self._waiting, RuntimeError("the write was interrupted"))
            self._waiting = []
            raise
        finally:
            self._writing = False


def _settle(batch: Sequence[tuple[object, asyncio.Future[None]]], error: Exception | None) -> None:
    for _, done in batch:
        if done.done():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
            done.exception()  # each waiter raises it; one that stopped waiting must not log it as lost


class InboxWorker:
    """Hands stored updates to the bot and queues its replies, each update once."""

    def __init__(
        self,
        inbox: Inbox,
        handler: ChatHandler,
        clock: Clock,
        *,
        arrived: asyncio.Event | None = None,
        replies_queued: asyncio.Event | None = None,
        poll_seconds: float = 0.5,
        outages: Outages | None = None,
        handled_at_once: int = HANDLED_AT_ONCE,
    ) -> None:
        """Work ``inbox`` with ``handler``; ``arrived`` wakes the loop, which sets ``replies_queued`` as soon as
        replies are in the outbox. At most ``handled_at_once`` updates are in hand at any moment.

        Failures that ``outages`` recognises (the database is down) are logged there, once per outage.
        """
        self._inbox = inbox
        self._handler = handler
        self._clock = clock
        self._queued = replies_queued
        self._handling = asyncio.Semaphore(handled_at_once)
        self._finish: GroupWrite[tuple[int, Sequence[Outgoing]]] = GroupWrite(self._finish_many)
        self._outages: Outages = outages or NoOutages()
        self._loop = Repeat("inbox-worker", self._work, idle_seconds=poll_seconds, wake=arrived, outages=outages)

    def start(self) -> None:
        """Handle stored updates from now on, as they arrive."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop handling updates (one in hand is given back when its lease runs out)."""
        await self._loop.stop()

    async def _work(self) -> bool:
        return await self.run_once() > 0

    async def _finish_many(self, finished: list[tuple[int, Sequence[Outgoing]]]) -> None:
        await self._inbox.finish_many(finished, self._clock.now())
        if self._queued is not None and any(replies for _, replies in finished):
            # Their replies are in the outbox now: the dispatcher need not wait for the rest of the batch.
            self._queued.set()

    async def run_once(self, limit: int = 200) -> int:
        """Handle up to ``limit`` waiting updates; returns how many were handled.

        Updates from one room are handled in the order they arrived; different rooms go
        concurrently. A failure gives the update back with a growing delay; after
        ``MAX_HANDLE_ATTEMPTS`` it is finished without replies and logged, so one poisoned update
        cannot block the rest.
        """
        items = await self._inbox.claim(limit, self._clock.now())
        rooms: dict[tuple[str, str], list[InboxItem]] = {}
        for item in items:
            rooms.setdefault(item.event.room.key, []).append(item)
        await asyncio.gather(*(self._handle_in_order(batch) for batch in rooms.values()))
        return len(items)

    async def _handle_in_order(self, items: list[InboxItem]) -> None:
        for item in items:
            async with self._handling:
                try:
                    replies = await self._handler.handle(item.event)
                except Exception as error:
                    failed: Exception | None = error
                else:
                    failed = None
            if failed is not None:
                await self._give_back(item, failed)
                continue
            # Finished together with the other rooms' updates that are done meanwhile: one transaction for all.
            # Waited for outside the place in hand, so the next update starts while this write is on its way.
            await self._finish((item.item_id, outgoing_for(item.event, replies, item.context)))

    async def _give_back(self, item: InboxItem, error: Exception) -> None:
        if not self._outages.absorbs(error):
            logger.exception("handling update %s failed", item.event.update_key, exc_info=error)
        if item.attempts >= MAX_HANDLE_ATTEMPTS:
            await self._inbox.finish(item.item_id, [], self._clock.now())
        else:
            delay = timedelta(seconds=2 ** item.attempts)
            await self._inbox.release(item.item_id, repr(error)[:400], self._clock.now() + delay)


class Dispatcher:
    """Sends queued replies through each platform's sender within its rate limits."""

    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[str, Sender],
        clock: Clock,
        sleeper: Sleeper,
        monotonic: Monotonic,
        limits: Mapping[str, PlatformLimits] | None = None,
        lease_seconds: float = 60.0,
        turn: SendingTurn | None = None,
        queued: asyncio.Event | None = None,
        poll_seconds: float = 0.2,
        outages: Outages | None = None,
        coalescing: bool = True,
        sends_at_once: int = SENDS_AT_ONCE,
    ) -> None:
        """Deliver ``outbox`` rows through ``senders`` (by platform name), claiming them for ``lease_seconds``.

        With ``turn``, only the instance holding a platform's turn sends for it (others leave its rows).
        ``queued`` (set when this process queued messages) wakes the loop before its next look; failures
        that ``outages`` recognises (the database is down) are logged there, once per outage. With
        ``coalescing``, short answers waiting together for one group room go out as one message through
        senders that can do that (``TogetherSender``); without, every reply is a message of its own. At
        most ``sends_at_once`` sends are on their way at any moment.
        """
        self._outbox = outbox
        self._senders = dict(senders)
        self._clock = clock
        self._sleeper = sleeper
        self._monotonic = monotonic
        self._limits = dict(limits) if limits is not None else None
        self._lease = lease_seconds
        self._turn = turn
        self._delivered: GroupWrite[Sequence[int]] = GroupWrite(self._delivered_many)
        self._coalescing = coalescing
        self._sending = asyncio.Semaphore(sends_at_once)
        # Replies whose coalesced message was refused for good: each is tried again on its own, so
        # one unsendable line cannot sink the others (kept while this process lives).
        self._alone: set[str] = set()
        self._loop = Repeat("outbox-dispatcher", self._work, idle_seconds=poll_seconds, wake=queued,
                            outages=outages)

    def start(self) -> None:
        """Send queued replies from now on."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop sending (claimed rows not sent go back when their lease runs out)."""
        await self._loop.stop()

    async def _work(self) -> bool:
        return await self.run_once() > 0

    async def _delivered_many(self, messages: list[Sequence[int]]) -> None:
        # Stamped when written, no earlier than any of the sends: other instances' limits stay on the safe side.
        # The rows of one coalesced message are in one entry, so they are settled in one transaction.
        await self._outbox.delivered_many([item_id for ids in messages for item_id in ids], self._clock.now())

    async def _limiter(self, platform: str) -> RateLimiter:
        # Built from what every instance sent in the last minute, as the outbox records it, so the
        # limits hold across restarts and across instances sharing one database.
        limiter = RateLimiter(self._limits)
        if platform not in (self._limits if self._limits is not None else DEFAULT_LIMITS):
            return limiter  # no limits to keep: the history would not change a thing
        now, mono = self._clock.now(), self._monotonic()
        for chat, group, sent_at in await self._outbox.recent_sends(platform, now - timedelta(seconds=RECENT)):
            limiter.record(platform, chat, group, mono - (now - sent_at).total_seconds())
        return limiter

    async def run_once(self, limit: int = 100) -> int:
        """Send up to ``limit`` due replies per platform; returns how many were attempted.

        Replies to one chat go in order; different chats go concurrently. Each send first reserves
        its slot under the platform's rate limits and waits for it rather than sending too fast; a
        platform's "retry after" and network errors put the reply back for later; permanent
        failures and replies that failed ``MAX_SEND_ATTEMPTS`` times are recorded as failed.
        """
        attempted = 0
        for platform, sender in self._senders.items():
            if self._turn is not None and not await self._turn.take(platform):
                continue  # another instance sends for this platform; it will send these rows too
            claimed_at = self._monotonic()
            items = await self._outbox.claim(platform, limit, self._clock.now(), self._lease)
            if not items:
                continue
            limiter = await self._limiter(platform)
            deadline = claimed_at + self._lease - LEASE_MARGIN
            chats: dict[str, list[OutboxItem]] = {}
            for item in items:
                chats.setdefault(item.chat, []).append(item)
            sends = [self._messages(sender, batch) for batch in chats.values()]
            await asyncio.gather(*(self._send_in_order(sender, limiter, batch, deadline) for batch in sends))
            attempted += len(items)
        return attempted

    def _messages(self, sender: Sender, items: list[OutboxItem]) -> list[list[OutboxItem]]:
        """One chat's replies as the messages that will carry them: coalesced where allowed, else one each."""
        if not self._coalescing or not isinstance(sender, TogetherSender) or not items[0].group:
            return [[item] for item in items]
        return coalesce(items, limit=sender.max_length, measure=sender.measure,
                        alone=lambda item: item.key in self._alone)

    async def _send_in_order(
        self, sender: Sender, limiter: RateLimiter, messages: list[list[OutboxItem]], deadline: float
    ) -> None:
        for index, message in enumerate(messages):
            first = message[0]
            while True:
                # A place among the sends on their way first, then the rate limit's slot: a chat waiting
                # for its slot holds no place, and nothing is awaited between checking the slot and taking it.
                await self._sending.acquire()
                now_mono = self._monotonic()
                wait = limiter.wait(sender.platform, first.chat, first.group, now_mono)
                if now_mono + wait > deadline:
                    # Its turn comes after our lease: give it and the rest of this chat back, untried.
                    self._sending.release()
                    at = self._clock.now() + timedelta(seconds=wait)
                    for later in messages[index:]:
                        for item in later:
                            await self._outbox.postpone(item.item_id, at)
                    return
                if wait <= 0:
                    break
                self._sending.release()
                # Look again after the wait: sends to other chats may have taken the slot meanwhile.
                await self._sleeper.sleep(wait)
            limiter.begin(sender.platform, first.chat, first.group)
            try:
                outcome = await self._send(sender, message)
            finally:
                # The request reached the platform no later than its answer: counted at the answer.
                limiter.finish(sender.platform, first.chat, first.group, self._monotonic())
                self._sending.release()
            await self._settle(message, outcome)

    @staticmethod
    async def _send(sender: Sender, message: list[OutboxItem]) -> SendOutcome:
        if len(message) == 1 or not isinstance(sender, TogetherSender):
            return await sender.send(message[0])
        return await sender.send_together(message)

    async def _settle(self, message: list[OutboxItem], outcome: SendOutcome) -> None:
        """Record how the send of ``message`` went, for every reply it carried."""
        now = self._clock.now()
        if isinstance(outcome, Delivered):
            # Marked together with the other chats' sends that finish meanwhile: one statement for all,
            # and every reply of this message in it.
            await self._delivered([item.item_id for item in message])
            return
        if isinstance(outcome, PermanentFailure) and len(message) > 1:
            # Refused as a whole: each reply gets its own message next time instead of failing them all.
            logger.warning("a coalesced message of %d replies to %s was refused: %s; sending them one by one",
                           len(message), message[0].chat, outcome.reason)
            for item in message:
                self._alone.add(item.key)
                if item.attempts >= MAX_SEND_ATTEMPTS:
                    await self._outbox.failed(item.item_id, f"gave up after {item.attempts} tries: {outcome.reason}",
                                              now)
                else:
                    await self._outbox.retry(item.item_id, now, outcome.reason)
            return
        for item in message:
            if isinstance(outcome, PermanentFailure):
                logger.warning("reply %s to %s failed for good: %s", item.key, item.chat, outcome.reason)
                await self._outbox.failed(item.item_id, outcome.reason, now)
            elif item.attempts >= MAX_SEND_ATTEMPTS:
                await self._outbox.failed(item.item_id, f"gave up after {item.attempts} tries: {outcome.reason}", now)
            else:
                await self._outbox.retry(item.item_id, now + timedelta(seconds=outcome.seconds), outcome.reason)
