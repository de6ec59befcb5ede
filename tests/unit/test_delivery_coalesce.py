"""Coalescing replies for one group room: which merge, how lines read, where messages split, how they settle."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

from core.chat import Button, Person, Reply, Room
from core.delivery import Delivered, OutboxItem, PermanentFailure, RetryLater, SendOutcome
from core.delivery.coalesce import coalesce, line_text, mergeable
from core.delivery.worker import Dispatcher
from tests.unit.fakes import FakeClock, InMemoryOutbox
from tests.unit.test_delivery import Seconds

GROUP = Room("telegram", "-100", private=False)
OTHER = Room("telegram", "-200", private=False)


def person(n: int) -> Person:
    return Person("telegram", str(n), f"Singer {n}")


def answer(n: int, room: Room = GROUP, **changes: object) -> OutboxItem:
    reply = Reply(room, person(n), f"Queued Song {n} — Artist. You're {n}th, about {n} min.")
    reply = dataclasses.replace(reply, **changes)  # type: ignore[arg-type]
    return OutboxItem(n, f"k{n}", "telegram", reply, {}, 1, f"room:{room.room_id}", not room.private)


class TogetherFake:
    """A sender that can send several answers as one message, and records each message it sent."""

    platform = "telegram"
    max_length = 4096

    def __init__(self, outcome: SendOutcome | None = None, max_length: int = 4096) -> None:
        self.messages: list[list[int]] = []
        self.times: list[float] = []
        self.outcome = outcome or Delivered()
        self.max_length = max_length
        self.clock: Seconds | None = None

    def measure(self, text: str) -> int:
        return len(text)

    async def send(self, item: OutboxItem) -> SendOutcome:
        return await self.send_together([item])

    async def send_together(self, items: Sequence[OutboxItem]) -> SendOutcome:
        self.messages.append([item.item_id for item in items])
        self.times.append(self.clock() if self.clock else 0.0)
        await asyncio.sleep(0)
        return self.outcome


def test_a_short_answer_to_one_singer_in_a_group_merges_and_anything_else_keeps_its_own_message() -> None:
    assert mergeable(answer(1).reply)
    assert not mergeable(answer(1, buttons=(Button("Yes", "y"),)).reply), "a keyboard belongs to its message"
    assert not mergeable(answer(1, room=Room("telegram", "1", private=True)).reply), "private chats are not rushed"
    assert not mergeable(answer(1, to_person=None).reply), "a line needs a singer to name"
    assert not mergeable(answer(1, text="Queue:\n1. Ann\n2. Ben").reply), "a list is not one short line"
    assert mergeable(answer(1, ephemeral=True).reply), "a refusal in a rush is an answer too"
    assert not mergeable(answer(1, mention=True).reply), "a reminder calling a singer keeps its own message"


def test_a_line_names_the_singer_then_says_their_answer() -> None:
    assert line_text(answer(3).reply) == "Singer 3: Queued Song 3 — Artist. You're 3th, about 3 min."


def test_waiting_answers_form_one_message_in_order_and_a_keyboard_reply_stays_alone_between_them() -> None:
    keyboard = answer(3, buttons=(Button("Yes", "y"),))
    messages = coalesce([answer(1), answer(2), keyboard, answer(4), answer(5)], limit=4096)
    assert [[i.item_id for i in m] for m in messages] == [[1, 2], [3], [4, 5]]


def test_a_message_is_split_only_where_one_more_line_would_pass_the_limit() -> None:
    items = [answer(n) for n in range(1, 8)]
    line = len(line_text(items[0].reply))
    limit = 3 * line + 2  # exactly three lines and their two newlines
    messages = coalesce(items, limit=limit, measure=len)
    assert [len(m) for m in messages] == [3, 3, 1]
    for message in messages:
        assert len("\n".join(line_text(i.reply) for i in message)) <= limit


async def test_forty_answers_waiting_for_one_group_go_out_as_one_message_settled_together() -> None:
    seconds, clock = Seconds(), FakeClock()
    outbox = InMemoryOutbox()
    outbox.seed([answer(n) for n in range(1, 41)], clock.now())
    sender = TogetherFake()
    dispatcher = Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds)
    assert await dispatcher.run_once() == 40
    assert sender.messages == [list(range(1, 41))]
    assert outbox.delivered_batches == [list(range(1, 41))], "all parts marked sent in one write"
    assert await outbox.claim("telegram", 100, clock.now()) == [], "nothing left to send twice"


async def test_a_settled_coalesced_message_counts_once_against_the_group_limit() -> None:
    # 40 rows sent in one message, then 19 more messages to the group fit in the same minute.
    seconds, clock = Seconds(), FakeClock()
    outbox = InMemoryOutbox()
    outbox.seed([answer(n) for n in range(1, 41)], clock.now())
    sender = TogetherFake()
    sender.clock = seconds
    dispatcher = Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds)
    await dispatcher.run_once()
    clock.advance(2)
    seconds.now += 2
    keyboards = [answer(n, buttons=(Button("Yes", "y"),)) for n in range(100, 119)]
    outbox.seed(keyboards, clock.now())
    await dispatcher.run_once()
    assert len(sender.messages) == 20
    assert sender.times[-1] - sender.times[0] < 60, "the 40 rows of one message were not counted as 40"


async def test_different_groups_each_get_their_own_message() -> None:
    seconds, clock = Seconds(), FakeClock()
    outbox = InMemoryOutbox()
    outbox.seed([answer(1), answer(2, room=OTHER), answer(3), answer(4, room=OTHER)], clock.now())
    sender = TogetherFake()
    await Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds).run_once()
    assert sorted(sender.messages) == [[1, 3], [2, 4]]


async def test_with_coalescing_off_every_reply_is_a_message_of_its_own() -> None:
    seconds, clock = Seconds(), FakeClock()
    outbox = InMemoryOutbox()
    outbox.seed([answer(n) for n in range(1, 4)], clock.now())
    sender = TogetherFake()
    await Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds, coalescing=False).run_once()
    assert sender.messages == [[1], [2], [3]]


async def test_a_coalesced_message_put_back_by_flood_control_puts_back_every_part() -> None:
    seconds, clock = Seconds(), FakeClock()
    outbox = InMemoryOutbox()
    outbox.seed([answer(n) for n in range(1, 4)], clock.now())
    sender = TogetherFake(RetryLater(7, "flood control"))
    await Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds).run_once()
    assert sorted(item_id for item_id, _ in outbox.retried) == [1, 2, 3]
    assert outbox.delivered_ids == []


async def test_a_coalesced_message_refused_for_good_is_retried_one_reply_per_message() -> None:
    seconds, clock = Seconds(), FakeClock()
    outbox = InMemoryOutbox()
    outbox.seed([answer(n) for n in range(1, 4)], clock.now())
    sender = TogetherFake(PermanentFailure("bad request: can't parse entities"))
    dispatcher = Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds)
    await dispatcher.run_once()
    assert sender.messages == [[1, 2, 3]]
    sender.outcome = Delivered()
    clock.advance(1)
    await dispatcher.run_once()
    assert sender.messages[1:] == [[1], [2], [3]], "none of them failed for the others' sake"
    assert sorted(outbox.delivered_ids) == [1, 2, 3]
