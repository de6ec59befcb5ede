"""The two loops of delivery: handle stored updates, and send queued replies.

Each is a named object the composition root builds once and starts and stops: ``InboxWorker`` wakes
when this process stores an update (and looks every ``poll_seconds`` for other instances' updates);
``Dispatcher`` wakes when replies were queued here, and looks every ``poll_seconds`` too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Generic, Protocol, TypeVar

from core.chat import ChatEvent, Reply, Room
from core.clock import Clock, Monotonic, Sleeper
from core.delivery.coalesce import coalesce
from core.delivery.limits import (
    DEFAULT_LIMITS,
    EPHEMERAL_IN_ROOM,
    ChannelBudgets,
    PlatformLimits,
    RateLimiter,
    bucket_of,
)
from core.delivery.ports import (
    ChannelClosed,
    Delivered,
    FreeChannelSender,
    Inbox,
    InboxItem,
    Outbox,
    OutboxItem,
    Outgoing,
    PermanentFailure,
    PressAnswerer,
    PrivateChats,
    Sender,
    SendingTurn,
    SendOutcome,
    TogetherSender,
)
from core.delivery.presses import answers_press, as_message, with_press_answer
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
# Stored updates claimed by one step of the inbox worker, and due replies per platform by one step of the
# dispatcher.
CLAIMED_AT_ONCE = 200
SENT_AT_ONCE = 100

T = TypeVar("T")


class ChatHandler(Protocol):
    """What answers a chat event (``core.chat.ChatBot``)."""

    async def handle(self, event: ChatEvent) -> list[Reply]:
        """The replies to ``event``."""
        ...



def outgoing_for(event: ChatEvent, replies: Sequence[Reply], context: Mapping[str, str], *,
                 toasts: bool = True) -> list[Outgoing]:
    """The outbox rows for an event's replies; keyed by the update, so re-handling it queues nothing new.

    A button press its platform wants answered gets its one press answer among them (``core.delivery.presses``):
    with ``toasts`` its first reply only the presser needs, else an empty answer beside the replies.
    """
    platform = event.room.platform
    rows = [
        Outgoing(key=f"{platform}:{event.update_key}:{index}", platform=platform, reply=reply, context=context)
        for index, reply in enumerate(replies)
    ]
    return with_press_answer(event, rows, context, toasts=toasts)


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
        toasts: bool = True,
        handled_at_once: int = HANDLED_AT_ONCE,
    ) -> None:
        """Work ``inbox`` with ``handler``; ``arrived`` wakes the loop, which sets ``replies_queued`` as soon as
        replies are in the outbox. At most ``handled_at_once`` updates are in hand at any moment.

        Failures that ``outages`` recognises (the database is down) are logged there, once per outage. With
        ``toasts``, a press's reply only the presser needs is said as the press's answer (``outgoing_for``).
        """
        self._toasts = toasts
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
        # Only a full batch says more may be waiting: after a part batch the next claim would come back
        # empty (one transaction per update for nothing at a steady trickle); whatever arrives meanwhile
        # sets ``arrived``, which was cleared before this step, and new rows of other instances are
        # announced or polled for.
        return await self.run_once(CLAIMED_AT_ONCE) >= CLAIMED_AT_ONCE

    async def _finish_many(self, finished: list[tuple[int, Sequence[Outgoing]]]) -> None:
        await self._inbox.finish_many(finished, self._clock.now())
        if self._queued is not None and any(replies for _, replies in finished):
            # Their replies are in the outbox now: the dispatcher need not wait for the rest of the batch.
            self._queued.set()

    async def run_once(self, limit: int = CLAIMED_AT_ONCE) -> int:
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
            await self._finish((item.item_id, outgoing_for(item.event, replies, item.context, toasts=self._toasts)))

    async def _give_back(self, item: InboxItem, error: Exception) -> None:
        if not self._outages.absorbs(error):
            logger.exception("handling update %s failed", item.event.update_key, exc_info=error)
        if item.attempts >= MAX_HANDLE_ATTEMPTS:
            # No reply, but a press still gets its (empty) answer, should it not be too late.
            await self._inbox.finish(item.item_id, outgoing_for(item.event, [], item.context), self._clock.now())
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
        free_channels: bool = True,
        private_chats: PrivateChats | None = None,
        sends_at_once: int = SENDS_AT_ONCE,
    ) -> None:
        """Deliver ``outbox`` rows through ``senders`` (by platform name), claiming them for ``lease_seconds``.

        With ``turn``, only the instance holding a platform's turn sends for it (others leave its rows).
        ``queued`` (set when this process queued messages) wakes the loop before its next look; failures
        that ``outages`` recognises (the database is down) are logged there, once per outage. With
        ``coalescing``, short answers waiting together for one group room go out as one message through
        senders that can do that (``TogetherSender``); without, every reply is a message of its own.
        With ``free_channels``, a reply its sender offers a free channel for (``FreeChannelSender``: a
        Slack command's response_url) goes that way while the channel's own budget lasts, neither
        counted against nor held up by the platform's rate limits; without, every reply goes the limited way.
        With ``private_chats``, an answer only its asker needs goes to their private chat instead of waiting
        for a busy group's slot, when they opened one (see ``_send_in_order``).
        At most ``sends_at_once`` sends are on their way at any moment.
        """
        self._outbox = outbox
        self._senders = dict(senders)
        self._clock = clock
        self._sleeper = sleeper
        self._monotonic = monotonic
        self._limits = dict(limits) if limits is not None else None
        self._lease = lease_seconds
        self._turn = turn
        # One entry per message sent: each reply's (item id, where it went when not where it was queued),
        # and whether it went through a free channel.
        self._delivered: GroupWrite[tuple[Sequence[tuple[int, tuple[str, bool] | None]], bool]] = \
            GroupWrite(self._delivered_many)
        self._coalescing = coalescing
        self._free_channels = free_channels
        # Free channels' budgets outlive one claim (a response_url lasts 30 minutes); rate limits are
        # rebuilt from the outbox's history per claim instead, since other instances send too.
        self._budgets = ChannelBudgets()
        self._private_chats = private_chats
        self._sending = asyncio.Semaphore(sends_at_once)
        # Replies whose coalesced message was refused for good: each is tried again on its own, so
        # one unsendable line cannot sink the others (kept while this process lives).
        self._alone: set[str] = set()
        # Press answers the platform refused for good (too late): said as ordinary messages instead.
        self._as_message: set[str] = set()
        # Answers a private chat refused for good (the bot was blocked there): said in their room instead.
        self._not_private: set[str] = set()
        # Where each claimed row was queued to go (chat, group): a send that went elsewhere is recorded there.
        self._queued_to: dict[int, tuple[str, bool]] = {}
        self._full = False  # whether the last step's claim for a platform came back full
        self._loop = Repeat("outbox-dispatcher", self._work, idle_seconds=poll_seconds, wake=queued,
                            outages=outages)

    def start(self) -> None:
        """Send queued replies from now on."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop sending (claimed rows not sent go back when their lease runs out)."""
        await self._loop.stop()

    async def _work(self) -> bool:
        # As the inbox worker's: run again at once only when a platform's claim came back full.
        self._full = False
        await self.run_once(SENT_AT_ONCE)
        return self._full

    async def _delivered_many(
        self, messages: list[tuple[Sequence[tuple[int, tuple[str, bool] | None]], bool]]
    ) -> None:
        # Stamped when written, no earlier than any of the sends: other instances' limits stay on the safe side.
        # The rows of one coalesced message are in one entry, so they are settled in one transaction.
        # Sends through a free channel are marked so, so that no instance counts them against the limits.
        entries = [entry for message, _ in messages for entry in message]
        routes = {item_id: route for item_id, route in entries if route is not None}
        free = {item_id for message, is_free in messages if is_free for item_id, _ in message}
        await self._outbox.delivered_many([item_id for item_id, _ in entries], self._clock.now(), routes,
                                          free_of_limits=free)

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

    async def run_once(self, limit: int = SENT_AT_ONCE) -> int:
        """Send up to ``limit`` due replies per platform; returns how many were attempted.

        Replies to one chat go in order; different chats go concurrently. A reply with a free channel
        that has budget left goes through it at once (a closed channel sends it on the limited way);
        every other send first reserves its slot under the platform's rate limits and waits for it
        rather than sending too fast; a
        platform's "retry after" and network errors put the reply back for later; permanent
        failures and replies that failed ``MAX_SEND_ATTEMPTS`` times are recorded as failed. A press
        answer (``core.delivery.presses``) is a chat of its own, counted against no conversation's limits.
        """
        attempted = 0
        for platform, sender in self._senders.items():
            if self._turn is not None and not await self._turn.take(platform):
                continue  # another instance sends for this platform; it will send these rows too
            claimed_at = self._monotonic()
            items = await self._outbox.claim(platform, limit, self._clock.now(), self._lease)
            if not items:
                continue
            self._full = self._full or len(items) >= limit
            limiter = await self._limiter(platform)
            deadline = claimed_at + self._lease - LEASE_MARGIN
            chats: dict[str, list[OutboxItem]] = {}
            for item in items:
                self._queued_to[item.item_id] = (item.chat, item.group)
                routed = self._routed(sender, item)
                if routed is None:
                    await self._outbox.failed(item.item_id, "this platform's sender answers no button presses",
                                              self._clock.now())
                    continue
                chats.setdefault(routed.chat, []).append(routed)
            sends = [self._messages(sender, batch) for batch in chats.values()]
            try:
                await asyncio.gather(*(self._send_in_order(sender, limiter, batch, deadline) for batch in sends))
            finally:
                for item in items:
                    self._queued_to.pop(item.item_id, None)
            attempted += len(items)
        return attempted

    def _routed(self, sender: Sender, item: OutboxItem) -> OutboxItem | None:
        """``item`` as it is to be sent now: a press answer that cannot be one any more becomes a message
        in its room (None: an empty press answer, which is no message)."""
        if answers_press(item) is None:
            return item
        if item.key not in self._as_message and isinstance(sender, PressAnswerer):
            return item
        if not item.reply.text.strip():
            return None
        chat, group = bucket_of(item.reply)
        return replace(item, context=as_message(item.context), chat=chat, group=group)

    def _messages(self, sender: Sender, items: list[OutboxItem]) -> list[list[OutboxItem]]:
        """One chat's replies as the messages that will carry them: coalesced where allowed, else one each."""
        if not self._coalescing or not isinstance(sender, TogetherSender) or not items[0].group:
            return [[item] for item in items]
        return coalesce(items, limit=sender.max_length, measure=sender.measure,
                        alone=lambda item: item.key in self._alone)

    async def _send_in_order(
        self, sender: Sender, limiter: RateLimiter, messages: list[list[OutboxItem]], deadline: float
    ) -> None:
        """Send one chat's ``messages`` in order, each when the limits allow.

        In a group whose slot is busy (the next message would have to wait), every answer still waiting
        that only its asker needs goes to the asker's private chat instead, if they opened one; those
        sends run beside this chat's, and this returns once they are done too.
        """
        aside: list[asyncio.Task[None]] = []
        try:
            await self._send_each(sender, limiter, messages, deadline, aside)
        except BaseException:
            for task in aside:
                task.cancel()
            await asyncio.gather(*aside, return_exceptions=True)
            raise
        await asyncio.gather(*aside)

    async def _send_each(
        self, sender: Sender, limiter: RateLimiter, messages: list[list[OutboxItem]], deadline: float,
        aside: list[asyncio.Task[None]],
    ) -> None:
        offered = not messages or not messages[0][0].group  # only a group's answers go private
        index = 0
        while index < len(messages):
            first = messages[index][0]
            if len(messages[index]) == 1 and self._monotonic() <= deadline:
                free = await self._send_free(sender, first)
                if free is not None:
                    await self._settle(messages[index], free, free=True)
                    index += 1
                    continue
            while True:
                # A place among the sends on their way first, then the rate limit's slot: a chat waiting
                # for its slot holds no place, and nothing is awaited between checking the slot and taking it.
                await self._sending.acquire()
                now_mono = self._monotonic()
                wait = limiter.wait(sender.platform, first.chat, first.group, now_mono)
                if wait > 0 and not offered:
                    # The group is busy: whoever can be answered privately is, from here to the end.
                    self._sending.release()
                    offered = True
                    messages[index:] = await self._answer_privately(sender, limiter, messages[index:], deadline,
                                                                    aside)
                    if index >= len(messages):
                        return
                    first = messages[index][0]
                    continue
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
            message = messages[index]
            # No await between the check and this: the slot is ours.
            limiter.begin(sender.platform, first.chat, first.group)
            try:
                outcome = await self._send(sender, message)
            finally:
                # The request reached the platform no later than its answer: counted at the answer.
                limiter.finish(sender.platform, first.chat, first.group, self._monotonic())
                self._sending.release()
            await self._settle(message, outcome)
            index += 1

    async def _answer_privately(
        self, sender: Sender, limiter: RateLimiter, messages: list[list[OutboxItem]], deadline: float,
        aside: list[asyncio.Task[None]],
    ) -> list[list[OutboxItem]]:
        """Start sending privately every answer in ``messages`` that can go privately; returns the rest."""
        if self._private_chats is None or sender.platform in EPHEMERAL_IN_ROOM:
            return messages  # no private chats known; or the room itself shows an answer to its one reader
        items = [item for message in messages for item in message]
        rooms = await asyncio.gather(*(self._private_room(item) for item in items))
        private = {item.item_id: room for item, room in zip(items, rooms, strict=True) if room is not None}
        if not private:
            return messages
        by_chat: dict[str, list[list[OutboxItem]]] = {}
        for item in items:
            room = private.get(item.item_id)
            if room is not None:
                reply = replace(item.reply, room=room)
                chat, group = bucket_of(reply)
                by_chat.setdefault(chat, []).append([replace(item, reply=reply, chat=chat, group=group)])
        for chat_messages in by_chat.values():
            aside.append(asyncio.create_task(self._send_in_order(sender, limiter, chat_messages, deadline)))
        kept = [[item for item in message if item.item_id not in private] for message in messages]
        return [message for message in kept if message]

    async def _private_room(self, item: OutboxItem) -> Room | None:
        """Where ``item`` may go instead of its group: its asker's private chat, when only they need it."""
        reply, person = item.reply, item.reply.to_person
        if (self._private_chats is None or not reply.ephemeral or person is None or reply.room is None
                or reply.room.private or item.key in self._not_private):
            return None
        return await self._private_chats.private_room(person.platform, person.user_id)

    async def _send_free(self, sender: Sender, item: OutboxItem) -> SendOutcome | None:
        """Send ``item`` through its free channel, if it has one with budget left; None: send it the limited way.

        No await between taking the budget and sending, as with the rate limiter: the posts are ours.
        """
        if not self._free_channels or not isinstance(sender, FreeChannelSender):
            return None
        channel = sender.free_channel(item, self._clock.now())
        if channel is None or not self._budgets.take(channel.key, channel.budget, channel.cost, self._monotonic()):
            return None
        async with self._sending:
            outcome = await sender.send_free(item, channel)
        if isinstance(outcome, ChannelClosed):
            # Nothing went through: the channel is gone for every reply that would use it; this one goes limited.
            logger.info("reply %s: its free channel is closed (%s); sending it within the rate limits",
                        item.key, outcome.reason)
            self._budgets.close(channel.key, channel.budget, self._monotonic())
            return None
        return outcome

    @staticmethod
    async def _send(sender: Sender, message: list[OutboxItem]) -> SendOutcome:
        if len(message) == 1 and answers_press(message[0]) is not None and isinstance(sender, PressAnswerer):
            return await sender.answer_press(message[0])
        if len(message) == 1 or not isinstance(sender, TogetherSender):
            return await sender.send(message[0])
        return await sender.send_together(message)

    def _went_to(self, item: OutboxItem) -> tuple[str, bool] | None:
        """The (chat, group) ``item`` went to, when that is not where it was queued to go."""
        queued = self._queued_to.get(item.item_id)
        return (item.chat, item.group) if queued is not None and queued != (item.chat, item.group) else None

    async def _settle(self, message: list[OutboxItem], outcome: SendOutcome, *, free: bool = False) -> None:
        """Record how the send of ``message`` went (``free``: through a free channel), for every reply it carried."""
        now = self._clock.now()
        if isinstance(outcome, Delivered):
            # Marked together with the other chats' sends that finish meanwhile: one statement for all,
            # and every reply of this message in it.
            await self._delivered(([(item.item_id, self._went_to(item)) for item in message], free))
            return
        first = message[0]
        if isinstance(outcome, PermanentFailure) and len(message) == 1 and answers_press(first) is not None:
            if first.reply.text.strip():
                # Too late, most likely ("query is too old"): the presser hears it as a message instead.
                logger.info("the answer to a button press (%s) was refused: %s; saying it as a message",
                            first.key, outcome.reason)
                self._as_message.add(first.key)
                await self._outbox.retry(first.item_id, now, outcome.reason)
            else:
                logger.debug("an empty press answer (%s) was refused: %s", first.key, outcome.reason)
                await self._outbox.failed(first.item_id, f"press answer refused: {outcome.reason}", now)
            return
        queued = self._queued_to.get(first.item_id)
        if isinstance(outcome, PermanentFailure) and queued is not None and queued[1] and not first.group:
            # Moved out of its group to a private chat that refused it (the bot was blocked): back to the group.
            logger.info("reply %s could not be said privately: %s; saying it in its room", first.key, outcome.reason)
            self._not_private.add(first.key)
            await self._outbox.retry(first.item_id, now, outcome.reason)
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
