"""Delivery rules without a database: rate limits, retries, permanent failures, idempotent replies."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import pytest

from core.chat import ChatEvent, Person, Reply, Room, Said
from core.delivery import Delivered, InboxItem, OutboxItem, PermanentFailure, RetryLater, SendOutcome
from core.delivery.limits import RateLimiter
from core.delivery.worker import (
    CLAIMED_AT_ONCE,
    MAX_SEND_ATTEMPTS,
    SENT_AT_ONCE,
    Dispatcher,
    GroupWrite,
    InboxWorker,
    outgoing_for,
)
from tests.unit.fakes import FakeClock, InMemoryInbox, InMemoryOutbox

ANN = Person("telegram", "1", "Ann")
GROUP = Room("telegram", "-100", private=False)


class Seconds:
    """A monotonic clock and a sleeper that share one fake time line."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_one_chat_gets_at_most_one_message_a_second_and_a_group_twenty_a_minute() -> None:
    limiter = RateLimiter()
    now = 0.0
    for _ in range(3):
        assert limiter.wait("telegram", "room:-100", True, now) == 0.0
        limiter.record("telegram", "room:-100", True, now)
        now += 1.0
    assert limiter.wait("telegram", "room:-100", True, now - 0.5) == pytest.approx(0.55), "0.5 s plus the margin"
    assert limiter.wait("telegram", "private:2", False, now - 0.5) == 0.0, "another chat is not held up"
    for _ in range(17):
        limiter.record("telegram", "room:-100", True, now)
        now += 1.0
    assert limiter.wait("telegram", "room:-100", True, now) > 30, "the 21st group message waits for the minute"


class ScriptedSender:
    platform = "telegram"

    def __init__(self, outcomes: Mapping[int, SendOutcome]) -> None:
        self.outcomes = outcomes
        self.sent: list[tuple[int, float]] = []
        self.clock: Seconds | None = None

    async def send(self, item: OutboxItem) -> SendOutcome:
        self.sent.append((item.item_id, self.clock() if self.clock else 0.0))
        await asyncio.sleep(0)  # a real send waits on the network; the other chats' sends go meanwhile
        return self.outcomes.get(item.item_id, Delivered())


def outbox_of(items: Sequence[OutboxItem], clock: FakeClock) -> InMemoryOutbox:
    """An outbox holding ``items``, queued before ``clock``'s now."""
    outbox = InMemoryOutbox()
    outbox.seed(items, clock.now())
    return outbox


def inbox_of(items: Sequence[InboxItem], clock: FakeClock) -> InMemoryInbox:
    """An inbox holding ``items``, stored before ``clock``'s now."""
    inbox = InMemoryInbox(clock)
    inbox.seed(items)
    return inbox


def item(item_id: int, attempts: int = 1, chat: str = "room:-100") -> OutboxItem:
    return OutboxItem(item_id, f"k{item_id}", "telegram", Reply(GROUP, ANN, f"message {item_id}"), {}, attempts,
                      chat, True)


async def test_a_burst_to_one_group_is_spread_out_not_dropped() -> None:
    seconds, clock = Seconds(), FakeClock()
    sender = ScriptedSender({})
    sender.clock = seconds
    outbox = outbox_of([item(n) for n in range(5)], clock)
    dispatcher = Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds)
    assert await dispatcher.run_once() == 5
    assert outbox.delivered_ids == [0, 1, 2, 3, 4]
    times = [t for _, t in sender.sent]
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(times))


async def test_replies_whose_turn_comes_after_the_lease_are_given_back_untried() -> None:
    # Twenty messages a minute to one group: the 21st would go after the 60 s lease has run out, when
    # another instance may already have claimed it. It goes back to the outbox instead, uncounted.
    seconds, clock = Seconds(), FakeClock()
    sender = ScriptedSender({})
    sender.clock = seconds
    outbox = outbox_of([item(n) for n in range(25)], clock)
    await Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds, lease_seconds=60).run_once()
    assert outbox.delivered_ids == list(range(20))
    assert [i for i, _ in outbox.postponed] == [20, 21, 22, 23, 24]
    assert seconds.now - 1000.0 < 60 - 10, "every send started well inside the lease"
    assert all(at > clock.now() for _, at in outbox.postponed)


class Turn:
    def __init__(self, mine: bool) -> None:
        self.mine = mine
        self.asked: list[str] = []

    async def take(self, platform: str) -> bool:
        self.asked.append(platform)
        return self.mine


async def test_only_the_instance_holding_the_sending_turn_claims_and_sends() -> None:
    seconds, clock = Seconds(), FakeClock()
    sender = ScriptedSender({})
    outbox = outbox_of([item(n) for n in range(3)], clock)
    elsewhere = Turn(mine=False)
    assert await Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds, turn=elsewhere).run_once() == 0
    assert sender.sent == [] and outbox.waiting() == 3 and elsewhere.asked == ["telegram"]
    assert await Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds, turn=Turn(mine=True)).run_once() == 3


async def test_retry_after_puts_a_message_back_and_a_permanent_failure_is_recorded_once() -> None:
    seconds, clock = Seconds(), FakeClock()
    sender = ScriptedSender({1: RetryLater(7, "429"), 2: PermanentFailure("bot was blocked"),
                             3: RetryLater(1, "network")})
    items = [item(1), item(2, chat="private:9"), item(3, attempts=MAX_SEND_ATTEMPTS, chat="private:8")]
    outbox = outbox_of(items, clock)
    await Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds).run_once()
    assert [(i, (at - clock.now()).total_seconds()) for i, at in outbox.retried] == [(1, 7.0)]
    assert [i for i, _ in outbox.failed_ids] == [2, 3]
    assert "gave up" in outbox.failed_ids[1][1]


class Echo:
    def __init__(self) -> None:
        self.fail_once = True

    async def handle(self, event: ChatEvent) -> list[Reply]:
        assert isinstance(event, Said)
        if event.text == "boom" and self.fail_once:
            self.fail_once = False
            raise RuntimeError("database went away")
        return [Reply(event.room, event.person, f"you said {event.text}"), Reply(None, event.person, "psst")]


async def test_replies_are_keyed_by_the_update_so_handling_it_again_queues_nothing_new() -> None:
    said = Said(ANN, GROUP, "hello", "update-7")
    first = outgoing_for(said, [Reply(GROUP, ANN, "a"), Reply(None, ANN, "b")], {})
    again = outgoing_for(said, [Reply(GROUP, ANN, "a"), Reply(None, ANN, "b")], {})
    assert [o.key for o in first] == [o.key for o in again] == ["telegram:update-7:0", "telegram:update-7:1"]


async def test_a_failing_update_is_given_back_and_handled_on_a_later_round() -> None:
    clock = FakeClock()
    inbox = inbox_of([InboxItem(1, Said(ANN, GROUP, "boom", "u1")), InboxItem(2, Said(ANN, GROUP, "hi", "u2"))], clock)
    worker = InboxWorker(inbox, Echo(), clock)
    await worker.run_once()
    assert inbox.released == [1] and list(inbox.finished) == [2]
    assert await worker.run_once() == 0, "given back for a while, not at once"
    clock.advance(2)
    await worker.run_once()
    assert [o.reply.text for o in inbox.finished[1]] == ["you said boom", "psst"]


async def test_what_another_instance_sent_a_moment_ago_counts_against_the_limit() -> None:
    seconds, clock = Seconds(), FakeClock()
    sender = ScriptedSender({})
    sender.clock = seconds
    outbox = outbox_of([item(1)], clock)
    outbox.seed_sent("telegram", "room:-100", True, clock.now() - timedelta(seconds=0.25))
    await Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds).run_once()
    assert seconds.slept == [pytest.approx(0.80)]


async def test_updates_of_many_rooms_handled_at_once_are_finished_in_a_few_writes_not_one_each() -> None:
    rooms = [Room("telegram", str(n), private=True) for n in range(20)]
    clock = FakeClock()
    inbox = inbox_of([InboxItem(n, Said(ANN, room, "hi", f"u{n}")) for n, room in enumerate(rooms)], clock)
    assert await InboxWorker(inbox, Echo(), clock).run_once() == 20
    assert sorted(inbox.finished) == list(range(20))
    assert [o.reply.text for o in inbox.finished[7]] == ["you said hi", "psst"]
    assert sorted(i for batch in inbox.finish_batches for i in batch) == list(range(20)), "each finished once"
    assert len(inbox.finish_batches) <= 3


async def test_sends_to_many_chats_are_marked_delivered_in_a_few_writes_not_one_each() -> None:
    seconds, clock = Seconds(), FakeClock()
    outbox = outbox_of([item(n, chat=f"private:{n}") for n in range(30)], clock)
    dispatcher = Dispatcher(outbox, {"telegram": ScriptedSender({})}, clock, seconds, seconds, sends_at_once=30)
    assert await dispatcher.run_once() == 30
    assert sorted(outbox.delivered_ids) == list(range(30))
    assert len(outbox.delivered_batches) <= 3


class Overlap:
    """Counts how many calls are inside a stretch at once, and the most there ever were."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    async def inside(self) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        for _ in range(3):
            await asyncio.sleep(0)  # a real send or database call waits on the network; others go meanwhile
        self.now -= 1


class OverlapSender(ScriptedSender):
    def __init__(self) -> None:
        super().__init__({})
        self.overlap = Overlap()

    async def send(self, item: OutboxItem) -> SendOutcome:
        self.sent.append((item.item_id, 0.0))
        await self.overlap.inside()
        return Delivered()


async def test_no_more_sends_are_on_their_way_at_once_than_allowed_and_every_reply_still_goes() -> None:
    seconds, clock = Seconds(), FakeClock()
    outbox = outbox_of([item(n, chat=f"private:{n % 20}") for n in range(60)], clock)
    sender = OverlapSender()
    assert await Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds, sends_at_once=4).run_once() == 60
    assert sender.overlap.most == 4
    assert sorted(outbox.delivered_ids) == list(range(60))
    by_chat = [[i for i, _ in sender.sent if i % 20 == chat] for chat in range(20)]
    assert by_chat == [[chat, chat + 20, chat + 40] for chat in range(20)], "each chat's replies in order"


class WaitingSeconds(Seconds):
    """``Seconds`` whose sleep lets the other tasks run meanwhile, as a real one does."""

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        for _ in range(5):
            await asyncio.sleep(0)


async def test_a_chat_waiting_for_its_rate_limit_slot_holds_no_place_among_the_sends() -> None:
    # One place only, and the group sent a message a moment ago: its next one waits for its slot, and the
    # private replies claimed with it go meanwhile instead of waiting behind it.
    seconds, clock = WaitingSeconds(), FakeClock()
    sender = ScriptedSender({})
    sender.clock = seconds
    outbox = outbox_of([item(1), item(3, chat="private:7"), item(4, chat="private:8")], clock)
    outbox.seed_sent("telegram", "room:-100", True, clock.now() - timedelta(seconds=0.25))
    await Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds, sends_at_once=1).run_once()
    assert [i for i, _ in sender.sent] == [3, 4, 1]
    assert sorted(outbox.delivered_ids) == [1, 3, 4]


class OverlapBot:
    def __init__(self) -> None:
        self.overlap = Overlap()
        self.handled: list[str] = []

    async def handle(self, event: ChatEvent) -> list[Reply]:
        assert isinstance(event, Said)
        await self.overlap.inside()
        self.handled.append(event.update_key)
        return [Reply(event.room, event.person, f"you said {event.text}")]


async def test_no_more_updates_are_in_hand_at_once_than_allowed_and_each_room_keeps_its_order() -> None:
    rooms = [Room("telegram", str(n), private=True) for n in range(10)]
    clock = FakeClock()
    items = [InboxItem(n, Said(ANN, rooms[n % 10], "hi", f"u{n}")) for n in range(30)]
    inbox = inbox_of(items, clock)
    bot = OverlapBot()
    assert await InboxWorker(inbox, bot, clock, handled_at_once=3).run_once() == 30
    assert bot.overlap.most == 3
    assert sorted(inbox.finished) == list(range(30))
    for room in range(10):
        assert [k for k in bot.handled if int(k[1:]) % 10 == room] == [f"u{room}", f"u{room + 10}", f"u{room + 20}"]


async def test_the_dispatcher_is_woken_as_soon_as_the_first_replies_are_written_not_after_the_whole_batch() -> None:
    rooms = [Room("telegram", str(n), private=True) for n in range(6)]
    clock = FakeClock()
    inbox = inbox_of([InboxItem(n, Said(ANN, room, "hi", f"u{n}")) for n, room in enumerate(rooms)], clock)
    queued = asyncio.Event()
    woken_with: list[int] = []

    async def watch() -> None:
        await queued.wait()
        woken_with.append(len(inbox.finished))

    watcher = asyncio.create_task(watch())
    await InboxWorker(inbox, OverlapBot(), clock, replies_queued=queued, handled_at_once=1).run_once()
    await watcher
    assert woken_with and 0 < woken_with[0] < 6


async def test_with_the_limits_lifted_the_send_history_is_not_read() -> None:
    seconds, clock = Seconds(), FakeClock()
    outbox = outbox_of([item(1), item(2)], clock)
    await Dispatcher(outbox, {"telegram": ScriptedSender({})}, clock, seconds, seconds, limits={}).run_once()
    assert outbox.history_reads == 0 and seconds.slept == []
    assert outbox.delivered_ids == [1, 2]


class Writes:
    """A batch writer that holds each write until the test lets it go, and can fail."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = asyncio.Event()
        self.fail_with: Exception | None = None

    async def __call__(self, batch: list[str]) -> None:
        await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        self.batches.append(batch)


async def test_a_lone_entry_is_written_at_once_and_what_waits_meanwhile_goes_in_the_next_write() -> None:
    writes = Writes()
    write = GroupWrite(writes)
    first = asyncio.create_task(write("a"))
    await asyncio.sleep(0)
    later = [asyncio.create_task(write(name)) for name in "bcd"]
    await asyncio.sleep(0)
    writes.gate.set()
    await asyncio.gather(first, *later)
    assert writes.batches == [["a"], ["b", "c", "d"]]
    await write("e")
    assert writes.batches[-1] == ["e"]


async def test_a_failed_group_write_fails_every_entry_in_it_and_the_next_write_starts_afresh() -> None:
    writes = Writes()
    write = GroupWrite(writes)
    writes.fail_with = RuntimeError("database went away")
    writes.gate.set()
    results = await asyncio.gather(*(write(name) for name in "abc"), return_exceptions=True)
    assert [str(r) for r in results] == ["database went away"] * 3
    writes.fail_with = None
    await write("d")
    assert writes.batches == [["d"]]


async def test_a_cancelled_group_write_leaves_no_entry_waiting_forever() -> None:
    writes = Writes()
    write = GroupWrite(writes)
    leader = asyncio.create_task(write("a"))
    await asyncio.sleep(0)
    follower = asyncio.create_task(write("b"))
    await asyncio.sleep(0)
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    with pytest.raises(RuntimeError, match="interrupted"):
        await asyncio.wait_for(follower, 1)
    writes.gate.set()
    await write("c")
    assert writes.batches == [["c"]]


class CountingInbox(InMemoryInbox):
    """Notes how many updates each claim brought."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.claims: list[int] = []

    async def claim(self, limit: int, now: datetime, lease_seconds: float = 60) -> list[InboxItem]:
        items = await super().claim(limit, now, lease_seconds)
        self.claims.append(len(items))
        return items


class CountingOutbox(InMemoryOutbox):
    """Notes how many replies each claim brought."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: list[int] = []

    async def claim(self, platform: str, limit: int, now: datetime, lease_seconds: float = 60) -> list[OutboxItem]:
        items = await super().claim(platform, limit, now, lease_seconds)
        self.claims.append(len(items))
        return items


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.001)


async def _settled() -> None:
    """Long enough for a loop that would run again at once to have done so many times over."""
    for _ in range(50):
        await asyncio.sleep(0)


async def test_after_a_part_batch_the_inbox_worker_waits_to_be_woken_and_after_a_full_one_looks_again_at_once(
) -> None:
    # A claim that brought fewer than a batch leaves nothing behind: claiming again at once would only come
    # back empty, a transaction per update at a steady trickle. A full batch may have more behind it.
    clock = FakeClock()
    inbox = CountingInbox(clock)
    inbox.seed([InboxItem(n, Said(ANN, Room("telegram", str(n), private=True), "hi", f"u{n}"))
                for n in range(CLAIMED_AT_ONCE + 1)])
    arrived = asyncio.Event()
    worker = InboxWorker(inbox, OverlapBot(), clock, arrived=arrived, poll_seconds=3600)
    worker.start()
    try:
        await _until(lambda: len(inbox.finished) == CLAIMED_AT_ONCE + 1)
        await _settled()
        assert inbox.claims == [CLAIMED_AT_ONCE, 1]
        inbox.seed([InboxItem(10_000, Said(ANN, Room("telegram", "x", private=True), "again", "u-late"))])
        await _settled()
        assert inbox.claims == [CLAIMED_AT_ONCE, 1], "not looked for until woken"
        arrived.set()
        await _until(lambda: len(inbox.finished) == CLAIMED_AT_ONCE + 2)
        await _settled()
        assert inbox.claims == [CLAIMED_AT_ONCE, 1, 1]
    finally:
        await worker.stop()


async def test_after_a_part_batch_the_dispatcher_waits_to_be_woken() -> None:
    seconds, clock = Seconds(), FakeClock()
    outbox = CountingOutbox()
    outbox.seed([item(n, chat=f"private:{n}") for n in range(SENT_AT_ONCE + 1)], clock.now())
    queued = asyncio.Event()
    dispatcher = Dispatcher(outbox, {"telegram": ScriptedSender({})}, clock, seconds, seconds, queued=queued,
                            poll_seconds=3600)
    dispatcher.start()
    try:
        await _until(lambda: len(outbox.delivered_ids) == SENT_AT_ONCE + 1)
        await _settled()
        assert outbox.claims == [SENT_AT_ONCE, 1]
        outbox.seed([item(SENT_AT_ONCE + 1, chat="private:late")], clock.now())
        await _settled()
        assert outbox.claims == [SENT_AT_ONCE, 1], "not looked for until woken"
        queued.set()
        await _until(lambda: len(outbox.delivered_ids) == SENT_AT_ONCE + 2)
        assert outbox.claims == [SENT_AT_ONCE, 1, 1]
    finally:
        await dispatcher.stop()
