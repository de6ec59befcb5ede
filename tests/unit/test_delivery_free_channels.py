"""Free channels: replies a platform does not rate-limit (a Slack command's response_url) go at once,
within a budget of their own, and fall back to the limited way when it is spent or the channel closes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta

import pytest

from core.chat import Person, Reply, Room
from core.delivery import (
    ChannelBudgets,
    ChannelClosed,
    Delivered,
    FreeChannel,
    FreeChannelSender,
    OutboxItem,
    RetryLater,
    SendOutcome,
    Window,
)
from core.delivery.limits import SLACK
from core.delivery.worker import Dispatcher
from tests.unit.fakes import FakeClock, InMemoryOutbox
from tests.unit.test_delivery import Seconds

CHANNEL = Room("slack", "C0BAR", private=False)
BUDGET = Window(5, 1800.0)


class FreeSender:
    """A ``FreeChannelSender`` whose free channel is the ``url`` in a reply's context, one budget per URL.

    ``closed`` URLs answer ``ChannelClosed``; ``free_outcomes`` script other answers per item.
    """

    platform = "slack"

    def __init__(self, seconds: Seconds, *, closed: frozenset[str] = frozenset(),
                 free_outcomes: Mapping[int, SendOutcome] | None = None) -> None:
        self.seconds = seconds
        self.closed = closed
        self.free_outcomes = free_outcomes or {}
        self.sent: list[tuple[int, str, float]] = []  # (item, "free" or "limited", when)
        self.offered: list[tuple[int, datetime]] = []

    def free_channel(self, item: OutboxItem, now: datetime) -> FreeChannel | None:
        self.offered.append((item.item_id, now))
        url = item.context.get("url")
        return FreeChannel(f"url:{url}", BUDGET) if url else None

    async def send_free(self, item: OutboxItem, channel: FreeChannel) -> SendOutcome | ChannelClosed:
        await asyncio.sleep(0)
        if item.context["url"] in self.closed:
            return ChannelClosed("404 used_url")
        self.sent.append((item.item_id, "free", self.seconds()))
        return self.free_outcomes.get(item.item_id, Delivered())

    async def send(self, item: OutboxItem) -> SendOutcome:
        await asyncio.sleep(0)
        self.sent.append((item.item_id, "limited", self.seconds()))
        return Delivered()


def answer(item_id: int, url: str | None = None) -> OutboxItem:
    """An answer to singer ``item_id`` in the channel, with its command's ``url`` as the free channel."""
    person = Person("slack", f"U{item_id}", f"Singer {item_id}")
    reply = Reply(CHANNEL, person, f"Queued Song {item_id}. You're {item_id + 1}th.")
    return OutboxItem(item_id, f"k{item_id}", "slack", reply, {"url": url} if url else {}, 1, "room:C0BAR", True)


def dispatcher(outbox: InMemoryOutbox, sender: FreeSender, clock: FakeClock, seconds: Seconds,
               free_channels: bool = True) -> Dispatcher:
    return Dispatcher(outbox, {"slack": sender}, clock, seconds, seconds, limits={"slack": SLACK},
                      free_channels=free_channels)


def test_the_sender_is_recognised_as_offering_free_channels() -> None:
    assert isinstance(FreeSender(Seconds()), FreeChannelSender)


async def test_forty_answers_in_one_channel_go_at_once_through_their_own_channels() -> None:
    seconds, clock = Seconds(), FakeClock()
    sender = FreeSender(seconds)
    outbox = InMemoryOutbox()
    outbox.seed([answer(n, f"u{n}") for n in range(1, 41)], clock.now())
    assert await dispatcher(outbox, sender, clock, seconds).run_once() == 40
    assert [(item_id, way) for item_id, way, _ in sender.sent] == [(n, "free") for n in range(1, 41)]
    assert seconds.slept == [], "not held up by the channel's one message a second"
    assert sorted(outbox.delivered_free) == list(range(1, 41))
    # Marked sent through a free channel: they use none of the channel's chat.postMessage slots,
    # so the next message the limited way goes at once (in this instance and any other).
    assert await outbox.recent_sends("slack", clock.now() - timedelta(minutes=1)) == []
    outbox.seed([answer(41)], clock.now())
    await dispatcher(outbox, sender, clock, seconds).run_once()
    assert sender.sent[-1][:2] == (41, "limited") and seconds.slept == []


async def test_a_free_answer_is_not_held_up_by_a_room_whose_limit_is_full() -> None:
    seconds, clock = Seconds(), FakeClock()
    sender = FreeSender(seconds)
    outbox = InMemoryOutbox()
    outbox.seed_sent("slack", "room:C0BAR", True, clock.now())  # a chat.postMessage just now
    outbox.seed([answer(1, "u1")], clock.now())
    await dispatcher(outbox, sender, clock, seconds).run_once()
    assert sender.sent == [(1, "free", 1000.0)] and seconds.slept == []


async def test_a_channel_takes_five_posts_and_the_sixth_answer_goes_the_limited_way() -> None:
    seconds, clock = Seconds(), FakeClock()
    sender = FreeSender(seconds)
    outbox = InMemoryOutbox()
    outbox.seed([answer(n, "shared") for n in range(1, 8)], clock.now())
    await dispatcher(outbox, sender, clock, seconds).run_once()
    assert [way for _, way, _ in sender.sent] == ["free"] * 5 + ["limited"] * 2
    # The limited ones keep the channel's one message a second.
    limited = [at for _, way, at in sender.sent if way == "limited"]
    assert limited[1] - limited[0] >= 1.0
    assert sorted(outbox.delivered_free) == [1, 2, 3, 4, 5]


async def test_a_closed_channel_sends_the_answer_the_limited_way_and_is_not_tried_again() -> None:
    seconds, clock = Seconds(), FakeClock()
    sender = FreeSender(seconds, closed=frozenset({"old"}))
    outbox = InMemoryOutbox()
    outbox.seed([answer(1, "old"), answer(2, "old"), answer(3, "new")], clock.now())
    send = dispatcher(outbox, sender, clock, seconds)
    await send.run_once()
    assert [(item_id, way) for item_id, way, _ in sender.sent] == [(1, "limited"), (2, "limited"), (3, "free")]
    assert sorted(outbox.delivered_ids) == [1, 2, 3] and outbox.delivered_free == [3]
    assert outbox.failed_ids == [] and outbox.retried == []


async def test_a_free_channel_that_says_try_later_puts_the_answer_back() -> None:
    seconds, clock = Seconds(), FakeClock()
    sender = FreeSender(seconds, free_outcomes={1: RetryLater(4, "response_url: 503")})
    outbox = InMemoryOutbox()
    outbox.seed([answer(1, "u1")], clock.now())
    await dispatcher(outbox, sender, clock, seconds).run_once()
    assert [(i, (at - clock.now()).total_seconds()) for i, at in outbox.retried] == [(1, 4.0)]
    assert outbox.delivered_ids == []


async def test_the_sender_decides_with_the_dispatchers_clock() -> None:
    seconds, clock = Seconds(), FakeClock()
    clock.advance(3600)
    sender = FreeSender(seconds)
    outbox = InMemoryOutbox()
    outbox.seed([answer(1, "u1")], clock.now())
    await dispatcher(outbox, sender, clock, seconds).run_once()
    assert sender.offered == [(1, clock.now())]


async def test_with_free_channels_off_every_answer_goes_the_limited_way() -> None:
    # Today's behaviour before issue 14, the benchmark's baseline: one message a second in the channel.
    seconds, clock = Seconds(), FakeClock()
    sender = FreeSender(seconds)
    outbox = InMemoryOutbox()
    outbox.seed([answer(n, f"u{n}") for n in range(1, 4)], clock.now())
    await dispatcher(outbox, sender, clock, seconds, free_channels=False).run_once()
    assert [way for _, way, _ in sender.sent] == ["limited"] * 3 and sender.offered == []
    times = [at for _, _, at in sender.sent]
    assert times[2] - times[0] >= 2.0
    assert outbox.delivered_free == []


def test_a_budget_counts_posts_within_its_window_and_closing_spends_it() -> None:
    budgets = ChannelBudgets()
    assert budgets.take("a", BUDGET, 3, now=0.0)
    assert not budgets.take("a", BUDGET, 3, now=1.0), "3 + 3 posts exceed 5"
    assert budgets.take("a", BUDGET, 2, now=2.0) and budgets.left("a", BUDGET, 2.0) == 0
    assert budgets.left("b", BUDGET, 2.0) == 5, "each channel has a budget of its own"
    assert budgets.left("a", BUDGET, 1800.5) == 3, "the first posts left the window"
    budgets.close("b", BUDGET, now=5.0)
    assert not budgets.take("b", BUDGET, 1, now=6.0)


def test_budgets_forget_channels_whose_windows_have_passed() -> None:
    budgets = ChannelBudgets(max_keys=10)
    for n in range(10):
        assert budgets.take(f"old{n}", Window(5, 60.0), 1, now=0.0)
    assert budgets.take("new", Window(5, 60.0), 1, now=61.0)
    assert budgets.left("new", Window(5, 60.0), 61.0) == 4
    assert len(budgets) == 1, "the spent channels are forgotten: memory stays bounded"


@pytest.mark.parametrize("cost", [5, 6])
def test_a_reply_that_takes_more_posts_than_are_left_does_not_start(cost: int) -> None:
    budgets = ChannelBudgets()
    assert budgets.take("a", BUDGET, cost, now=0.0) is (cost <= 5)
