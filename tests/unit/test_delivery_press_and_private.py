"""The free channels, without a database: a press answered by the callback answer, private answers for a busy group."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from datetime import timedelta

from core.chat import Button, ChatEvent, Person, Pressed, Reply, Room, Said
from core.delivery import (
    PRESS,
    Delivered,
    InboxItem,
    OutboxItem,
    Outgoing,
    PermanentFailure,
    RetryLater,
    SendOutcome,
    answers_press,
)
from core.delivery.limits import RateLimiter
from core.delivery.worker import Dispatcher, InboxWorker, outgoing_for
from tests.unit.fakes import FakeClock, InMemoryInbox, InMemoryOutbox
from tests.unit.test_delivery import Seconds as FakeSeconds

ANN, BOB, CAT = Person("telegram", "1", "Ann"), Person("telegram", "2", "Bob"), Person("telegram", "3", "Cat")
GROUP = Room("telegram", "-100", private=False)
ANN_PRIVATE = Room("telegram", "1", private=True)
PRESS_CONTEXT = {PRESS: "q-1"}


class Seconds(FakeSeconds):
    """The shared fake time line, whose sleep lets other tasks run first (as a real one does)."""

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        await super().sleep(seconds)


def pressed(person: Person = ANN, room: Room = GROUP, key: str = "7") -> Pressed:
    return Pressed(person, room, "c:tok", key)


def tell(person: Person, text: str, room: Room = GROUP, **changes: object) -> Reply:
    """An answer only ``person`` needs (``Steps.tell``)."""
    return dataclasses.replace(Reply(room, person, text, ephemeral=not room.private), **changes)  # type: ignore[arg-type]


def announce(person: Person, text: str) -> Reply:
    """An answer the room reads (``Steps.announce``)."""
    return Reply(GROUP, person, text)


# --- which row answers a press -------------------------------------------------------------------


def test_a_press_whose_reply_only_the_presser_needs_is_answered_with_that_reply_and_nothing_else() -> None:
    rows = outgoing_for(pressed(), [tell(ANN, "Great, see you at the stage!")], PRESS_CONTEXT)
    assert [(row.key, answers_press(row), row.reply.text) for row in rows] == [
        ("telegram:7:0", "q-1", "Great, see you at the stage!")]


def test_a_press_without_a_toast_gets_an_empty_answer_beside_its_replies() -> None:
    long = "x" * 201
    cases: list[tuple[str, list[Reply]]] = [
        ("the room reads it", [announce(ANN, "Queued Dreams — Fleetwood Mac. You're 2nd, about 4 min.")]),
        ("nothing to say", []),
        ("longer than a callback answer", [tell(ANN, long)]),
        ("it has buttons", [tell(ANN, "Which one?", buttons=(Button("A", "a"),))]),
        ("it is for someone else", [tell(BOB, "Ann skipped")]),
        ("it goes elsewhere", [tell(ANN, "In private", room=ANN_PRIVATE, ephemeral=True)]),
        ("empty", [tell(ANN, "  ")]),
    ]
    for why, replies in cases:
        rows = outgoing_for(pressed(), replies, PRESS_CONTEXT)
        assert [answers_press(row) for row in rows] == ["q-1"] + [None] * len(replies), why
        assert rows[0].key == "telegram:7:press" and rows[0].reply.text == "", why
        assert rows[0].reply.to_person == Person("telegram", "1", ""), "by id only: no name to erase later"
        assert [row.reply for row in rows[1:]] == replies, why


def test_only_the_first_toast_is_the_answer_and_the_rest_are_messages() -> None:
    rows = outgoing_for(pressed(), [announce(ANN, "Now singing"), tell(ANN, "one"), tell(ANN, "two")], PRESS_CONTEXT)
    assert [answers_press(row) for row in rows] == [None, "q-1", None]


def test_a_press_in_a_private_chat_is_answered_empty_and_its_reply_stays_in_the_chat() -> None:
    # In a private chat the answer is a message of the conversation (and costs no group anything).
    rows = outgoing_for(pressed(room=ANN_PRIVATE), [tell(ANN, "Great!", room=ANN_PRIVATE)], PRESS_CONTEXT)
    assert [(answers_press(row), row.reply.text) for row in rows] == [("q-1", ""), (None, "Great!")]


def test_messages_and_presses_nobody_answers_get_no_press_answer() -> None:
    said = Said(ANN, GROUP, "/queue", "8")
    assert [answers_press(r) for r in outgoing_for(said, [tell(ANN, "Empty")], PRESS_CONTEXT)] == [None]
    # Slack's presses carry no press to answer (they are acknowledged on arrival).
    slack = Pressed(Person("slack", "U1", "Ann"), Room("slack", "C1", False), "c:tok", "9")
    assert outgoing_for(slack, [], {"response_url": "https://hooks.slack.test/1"}) == []
    assert outgoing_for(pressed(), [], {}) == [], "a press stored without its query id cannot be answered"


def test_without_toasts_every_press_is_answered_empty_and_its_reply_is_a_message() -> None:
    rows = outgoing_for(pressed(), [tell(ANN, "Great!")], PRESS_CONTEXT, toasts=False)
    assert [(answers_press(row), row.reply.text) for row in rows] == [("q-1", ""), (None, "Great!")]


def test_handling_a_press_again_queues_the_same_rows() -> None:
    for replies in ([tell(ANN, "Great!")], [announce(ANN, "Queued")], []):
        assert outgoing_for(pressed(), replies, PRESS_CONTEXT) == outgoing_for(pressed(), replies, PRESS_CONTEXT)


class Failing:
    async def handle(self, event: ChatEvent) -> list[Reply]:
        raise RuntimeError("the rotation is broken")


async def test_a_press_given_up_on_is_still_answered_so_its_spinner_stops() -> None:
    clock = FakeClock()
    inbox = InMemoryInbox(clock)
    inbox.seed([InboxItem(1, pressed(), PRESS_CONTEXT, attempts=5)])
    await InboxWorker(inbox, Failing(), clock).run_once()
    [row] = inbox.outbox.messages()
    assert (answers_press(row), row.reply.text) == ("q-1", "")


# --- sending press answers -----------------------------------------------------------------------


class Answering:
    """A sender that answers presses and sends messages, recording both; outcomes scripted by outbox key."""

    platform = "telegram"

    def __init__(self, outcomes: Mapping[str, Sequence[SendOutcome]] | None = None) -> None:
        self.outcomes = {key: list(found) for key, found in (outcomes or {}).items()}
        self.answered: list[tuple[str, str]] = []  # (query id, text)
        self.sent: list[tuple[str, str, str]] = []  # (key, room id, text)
        self.times: dict[str, float] = {}  # key -> when it was sent, on ``clock``
        self.clock: Seconds | None = None

    def _outcome(self, key: str) -> SendOutcome:
        queue = self.outcomes.get(key)
        return queue.pop(0) if queue else Delivered()

    async def send(self, item: OutboxItem) -> SendOutcome:
        leaves = self.clock() if self.clock else 0.0
        await asyncio.sleep(0)
        outcome = self._outcome(item.key)
        if isinstance(outcome, Delivered):
            assert item.reply.room is not None
            self.sent.append((item.key, item.reply.room.room_id, item.reply.text))
            self.times[item.key] = leaves
        return outcome

    async def answer_press(self, item: OutboxItem) -> SendOutcome:
        await asyncio.sleep(0)
        outcome = self._outcome("answer:" + item.key)
        if isinstance(outcome, Delivered):
            self.answered.append((item.context[PRESS], item.reply.text))
        return outcome


def rig(sender: Answering, *, private: Mapping[str, Room] | None = None,
        limits: object = None) -> tuple[InMemoryOutbox, Dispatcher, FakeClock, Seconds]:
    seconds, clock = Seconds(), FakeClock()
    outbox = InMemoryOutbox()
    chats = PrivateChatsFake(private or {}) if private is not None else None
    dispatcher = Dispatcher(outbox, {sender.platform: sender}, clock, seconds, seconds, private_chats=chats)
    sender.clock = seconds
    return outbox, dispatcher, clock, seconds


class PrivateChatsFake:
    """The private chats people opened, by user id; counts the look-ups."""

    def __init__(self, rooms: Mapping[str, Room]) -> None:
        self.rooms = dict(rooms)
        self.asked: list[str] = []

    async def private_room(self, platform: str, user_id: str) -> Room | None:
        self.asked.append(user_id)
        return self.rooms.get(user_id)


async def busy_group(outbox: InMemoryOutbox, clock: FakeClock, messages: int = 20) -> None:
    """The group took ``messages`` messages, one every two seconds, the last just now (20: its minute is full)."""
    for n in range(messages):
        outbox.seed_sent("telegram", f"room:{GROUP.room_id}", True,
                         clock.now() - timedelta(seconds=2 * (messages - 1 - n)))


async def test_a_press_answer_goes_at_once_even_when_the_groups_minute_is_full() -> None:
    sender = Answering()
    outbox, dispatcher, clock, seconds = rig(sender)
    await busy_group(outbox, clock)
    await outbox.enqueue(outgoing_for(pressed(), [tell(ANN, "Great, see you at the stage!")], PRESS_CONTEXT),
                         clock.now())
    assert await dispatcher.run_once() == 1
    assert sender.answered == [("q-1", "Great, see you at the stage!")] and sender.sent == []
    assert seconds.slept == [], "no group limit held it up"
    sends = await outbox.recent_sends("telegram", clock.now() - timedelta(seconds=1))
    assert ("press:q-1", False, clock.now()) in sends, "counted as a press answer, not a group message"


def test_press_answers_count_against_their_own_rate_only() -> None:
    limiter = RateLimiter()
    for n in range(30):
        limiter.record("telegram", f"press:q{n}", False, 0.0)
    assert limiter.wait("telegram", "room:-100", True, 0.5) == 0.0, "no message slot was taken"
    assert limiter.wait("telegram", "private:1", False, 0.5) == 0.0
    assert limiter.wait("telegram", "press:q99", False, 0.5) > 0, "thirty answers a second at most"


async def test_a_press_answer_refused_for_good_is_said_as_a_message_in_its_room_next() -> None:
    sender = Answering({"answer:telegram:7:0": [PermanentFailure("bad request: query is too old")]})
    outbox, dispatcher, clock, _ = rig(sender)
    await outbox.enqueue(outgoing_for(pressed(), [tell(ANN, "Great!")], PRESS_CONTEXT), clock.now())
    await dispatcher.run_once()
    assert sender.answered == [] and sender.sent == [] and outbox.failed_ids == []
    await dispatcher.run_once()
    assert sender.sent == [("telegram:7:0", GROUP.room_id, "Great!")]
    row = outbox.rows["telegram:7:0"]
    assert row.sent_at is not None and (row.chat, row.group) == ("room:-100", True), "counted as a group message"
    assert await dispatcher.run_once() == 0, "and never again"


async def test_an_empty_press_answer_refused_for_good_lapses_without_a_message() -> None:
    sender = Answering({"answer:telegram:7:press": [PermanentFailure("bad request: query is too old")]})
    outbox, dispatcher, clock, _ = rig(sender)
    await outbox.enqueue(outgoing_for(pressed(), [announce(ANN, "Queued")], PRESS_CONTEXT), clock.now())
    await dispatcher.run_once()
    assert sender.sent == [("telegram:7:0", GROUP.room_id, "Queued")]
    assert [key for key, row in outbox.rows.items() if row.failed_at is not None] == ["telegram:7:press"]
    assert await dispatcher.run_once() == 0


async def test_a_press_answer_put_off_by_telegram_is_tried_again_as_an_answer() -> None:
    sender = Answering({"answer:telegram:7:0": [RetryLater(1.0, "network: reset")]})
    outbox, dispatcher, clock, _ = rig(sender)
    await outbox.enqueue(outgoing_for(pressed(), [tell(ANN, "Great!")], PRESS_CONTEXT), clock.now())
    await dispatcher.run_once()
    clock.advance(1.0)
    await dispatcher.run_once()
    assert sender.answered == [("q-1", "Great!")] and sender.sent == []


async def test_after_a_restart_a_refused_press_answer_is_tried_once_more_then_said_once() -> None:
    # The process that saw the refusal died before saying it as a message: the next one learns the same way.
    refusal = PermanentFailure("bad request: query is too old")
    sender = Answering({"answer:telegram:7:0": [refusal, refusal]})
    outbox, first, clock, seconds = rig(sender)
    await outbox.enqueue(outgoing_for(pressed(), [tell(ANN, "Great!")], PRESS_CONTEXT), clock.now())
    await first.run_once()
    second = Dispatcher(outbox, {"telegram": sender}, clock, seconds, seconds)
    await second.run_once()
    await second.run_once()
    assert sender.sent == [("telegram:7:0", GROUP.room_id, "Great!")] and sender.answered == []
    assert await second.run_once() == 0


# --- private answers while a group is busy -------------------------------------------------------


def queued(outbox: InMemoryOutbox, clock: FakeClock, replies: Sequence[Reply]) -> asyncio.Future[None]:
    return asyncio.ensure_future(outbox.enqueue(
        [Outgoing(f"r{n}", "telegram", reply) for n, reply in enumerate(replies)], clock.now()))


async def test_while_the_group_is_busy_an_answer_only_its_asker_needs_goes_to_their_private_chat() -> None:
    sender = Answering()
    outbox, dispatcher, clock, seconds = rig(sender, private={"1": ANN_PRIVATE})
    await busy_group(outbox, clock)
    await queued(outbox, clock, [tell(ANN, "Your songs: Dreams (2nd)"), tell(BOB, "Your songs: Zombie (3rd)"),
                                 announce(ANN, "Queued Dreams — Fleetwood Mac.")])
    start = seconds()
    await dispatcher.run_once()
    # Ann opened a private chat: hers goes there at once. Bob did not, and the room reads the announcement:
    # those two wait for the group's minute.
    assert sorted(sender.sent) == [("r0", "1", "Your songs: Dreams (2nd)"), ("r1", "-100", "Your songs: Zombie (3rd)"),
                                   ("r2", "-100", "Queued Dreams — Fleetwood Mac.")]
    assert sender.times["r0"] == start
    assert sender.times["r1"] > start + 20 and sender.times["r2"] > sender.times["r1"]
    assert outbox.routes == {outbox.rows["r0"].item_id: ("private:1", False)}, "counted where it went"


async def test_a_free_group_gets_its_answers_itself() -> None:
    sender = Answering()
    outbox, dispatcher, clock, _ = rig(sender, private={"1": ANN_PRIVATE})
    await queued(outbox, clock, [tell(ANN, "Your songs: Dreams (2nd)")])
    await dispatcher.run_once()
    assert sender.sent == [("r0", GROUP.room_id, "Your songs: Dreams (2nd)")]


async def test_once_the_first_answer_took_the_groups_slot_the_rest_who_can_go_private_do() -> None:
    sender = Answering()
    outbox, dispatcher, clock, seconds = rig(sender, private={"2": Room("telegram", "2", True),
                                                              "3": Room("telegram", "3", True)})
    keys = (Button("Cancel", "c:x"),)
    await queued(outbox, clock, [tell(ANN, "Yours", buttons=keys), tell(BOB, "Bob's", buttons=keys),
                                 tell(CAT, "Cat's", buttons=keys), tell(ANN, "Ann again", buttons=keys)])
    await dispatcher.run_once()
    assert sorted((key, room) for key, room, _ in sender.sent) == [("r0", "-100"), ("r1", "2"), ("r2", "3"),
                                                                    ("r3", "-100")]
    assert seconds.slept and seconds.slept[0] <= 1.1, "Ann's second answer waited for the group's next second"


async def test_a_private_chat_that_refuses_the_answer_sends_it_back_to_the_group() -> None:
    sender = Answering({"r0": [PermanentFailure("forbidden: bot was blocked by the user")]})
    outbox, dispatcher, clock, _ = rig(sender, private={"1": ANN_PRIVATE})
    await busy_group(outbox, clock, messages=1)
    await queued(outbox, clock, [tell(ANN, "Your songs: Dreams (2nd)")])
    await dispatcher.run_once()
    assert sender.sent == [] and outbox.failed_ids == []
    await dispatcher.run_once()
    assert sender.sent == [("r0", GROUP.room_id, "Your songs: Dreams (2nd)")], "in the group, once its slot is free"
    assert outbox.rows["r0"].chat == "room:-100"


async def test_without_private_chats_or_on_slack_answers_stay_in_their_room() -> None:
    sender = Answering()
    outbox, dispatcher, clock, _ = rig(sender, private=None)
    await busy_group(outbox, clock, messages=1)
    await queued(outbox, clock, [tell(ANN, "Yours")])
    await dispatcher.run_once()
    assert sender.sent == [("r0", GROUP.room_id, "Yours")]

    slack_sender = Answering()
    slack_sender.platform = "slack"
    slack_room = Room("slack", "C1", private=False)
    chats = PrivateChatsFake({"U1": Room("slack", "D1", True)})
    seconds, clock = Seconds(), FakeClock()
    outbox = InMemoryOutbox()
    outbox.seed_sent("slack", "room:C1", True, clock.now())
    await outbox.enqueue([Outgoing("s0", "slack", Reply(slack_room, Person("slack", "U1", "Ann"), "Yours",
                                                          ephemeral=True))], clock.now())
    await Dispatcher(outbox, {"slack": slack_sender}, clock, seconds, seconds, private_chats=chats).run_once()
    assert slack_sender.sent == [("s0", "C1", "Yours")], "Slack shows it to Ann inside the channel anyway"
    assert chats.asked == []
