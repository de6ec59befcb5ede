"""The ``Inbox`` and ``Outbox`` contracts on the fakes, SQLite and PostgreSQL: stored once, leased, handed
out once, never lost."""

from __future__ import annotations

from datetime import timedelta

from core.chat import Person, Reply, Room, Said
from core.delivery import ANSWERS_PRESS, PRESS, Inbox, Outbox, Outgoing
from storage.delivery import SqlOutbox
from tests.contracts.conftest import NOW
from tests.unit.fakes import InMemoryOutbox

ANN = Person("telegram", "1", "Ann", "ann")
GROUP = Room("telegram", "-100", private=False)


def said(key: str, text: str = "/queue") -> Said:
    return Said(ANN, GROUP, text, key)


async def queue(outbox: Outbox, replies: list[Outgoing]) -> None:
    # Queueing outside an inbound update (reminders) is each outbox's own ``enqueue``, not part of the port.
    assert isinstance(outbox, InMemoryOutbox | SqlOutbox)
    await outbox.enqueue(replies, NOW)


async def test_an_update_is_stored_once_however_often_it_arrives(inbox: Inbox) -> None:
    assert await inbox.put(said("u1"), {"response_url": "http://x"}) is True
    assert await inbox.put(said("u1")) is False
    assert await inbox.put(Said(ANN, Room("slack", "C1", False), "/queue", "u1")) is True, "keys are per platform"
    claimed = await inbox.claim(10, NOW)
    assert [i.event.update_key for i in claimed] == ["u1", "u1"]
    assert claimed[0].event == said("u1") and claimed[0].context == {"response_url": "http://x"}


async def test_a_claimed_update_comes_back_when_its_holder_dies(inbox: Inbox) -> None:
    await inbox.put(said("u1"))
    assert len(await inbox.claim(10, NOW, lease_seconds=30)) == 1
    assert await inbox.claim(10, NOW + timedelta(seconds=5)) == [], "leased to the first worker"
    again = await inbox.claim(10, NOW + timedelta(seconds=31))
    assert len(again) == 1 and again[0].attempts == 2
    await inbox.finish(again[0].item_id, [], NOW)
    assert await inbox.claim(10, NOW + timedelta(hours=1)) == []


async def test_a_released_update_is_claimable_again_at_its_retry_time(inbox: Inbox) -> None:
    await inbox.put(said("u1"))
    (claimed,) = await inbox.claim(10, NOW)
    await inbox.release(claimed.item_id, "RuntimeError('boom')", NOW + timedelta(seconds=4))
    assert await inbox.claim(10, NOW + timedelta(seconds=3)) == []
    (again,) = await inbox.claim(10, NOW + timedelta(seconds=4))
    assert again.item_id == claimed.item_id and again.attempts == 2


async def test_finishing_queues_replies_once_even_if_the_update_is_handled_twice(inbox: Inbox, outbox: Outbox) -> None:
    await inbox.put(said("u1"))
    item = (await inbox.claim(1, NOW))[0]
    replies = [Outgoing("telegram:u1:0", "telegram", Reply(GROUP, ANN, "Queued!")),
               Outgoing("telegram:u1:1", "telegram", Reply(None, ANN, "You're next"))]
    await inbox.finish(item.item_id, replies, NOW)
    await inbox.finish(item.item_id, replies, NOW)
    queued = await outbox.claim("telegram", 10, NOW)
    assert [(q.key, q.chat, q.group, q.reply.text) for q in queued] == [
        ("telegram:u1:0", "room:-100", True, "Queued!"), ("telegram:u1:1", "private:1", False, "You're next")]
    assert await outbox.claim("slack", 10, NOW) == []


async def test_a_batch_of_updates_is_stored_in_one_step_each_once(inbox: Inbox) -> None:
    assert await inbox.put(said("u2")) is True
    batch = [(said("u1"), {"callback_query_id": "q1"}), (said("u2"), {}), (said("u3"), {}), (said("u1"), {})]
    assert await inbox.put_many(batch) == [True, False, True, False], "stored before, or earlier in the batch"
    assert await inbox.put_many(batch) == [False] * 4, "the whole batch redelivered"
    assert await inbox.put_many([]) == []
    claimed = await inbox.claim(10, NOW)
    assert [i.event.update_key for i in claimed] == ["u2", "u1", "u3"]
    assert claimed[1].context == {"callback_query_id": "q1"}


async def test_finishing_many_marks_them_all_handled_and_queues_every_reply_once(inbox: Inbox, outbox: Outbox) -> None:
    await inbox.put_many([(said(f"u{n}"), {}) for n in range(3)])
    items = await inbox.claim(10, NOW)
    finished = [(i.item_id, [Outgoing(f"telegram:{i.event.update_key}:0", "telegram", Reply(None, ANN, "ok")),
                             Outgoing(f"telegram:{i.event.update_key}:1", "telegram", Reply(GROUP, ANN, "ok"))])
                for i in items]
    await inbox.finish_many(finished, NOW)
    await inbox.finish_many(finished[:1], NOW)  # handled again after a lost lease: nothing new is queued
    assert await inbox.claim(10, NOW + timedelta(hours=1)) == []
    queued = await outbox.claim("telegram", 10, NOW)
    assert [q.key for q in queued] == [f"telegram:u{n}:{k}" for n in range(3) for k in range(2)]


async def test_updates_whose_replies_were_all_queued_before_are_still_marked_handled(
        inbox: Inbox, outbox: Outbox) -> None:
    # Another instance handled them after this one's lease ran out and queued the same replies first.
    await inbox.put_many([(said(f"u{n}"), {}) for n in range(3)])
    items = await inbox.claim(10, NOW)
    finished = [(i.item_id, [Outgoing(f"telegram:{i.event.update_key}:0", "telegram", Reply(None, ANN, "ok"))])
                for i in items]
    await queue(outbox, [reply for _, replies in finished for reply in replies])
    await inbox.finish_many(finished, NOW)
    assert await inbox.claim(10, NOW + timedelta(hours=1)) == []
    assert [q.key for q in await outbox.claim("telegram", 10, NOW)] == [f"telegram:u{n}:0" for n in range(3)]


async def test_sent_failed_and_retried_replies(outbox: Outbox) -> None:
    await queue(outbox, [Outgoing(f"k{n}", "telegram", Reply(GROUP, ANN, f"m{n}")) for n in range(3)])
    await queue(outbox, [Outgoing("k0", "telegram", Reply(GROUP, ANN, "again"))])  # a key is queued once
    first, second, third = await outbox.claim("telegram", 10, NOW)
    await outbox.delivered(first.item_id, NOW)
    await outbox.failed(second.item_id, "Forbidden: bot was blocked by the user", NOW)
    await outbox.retry(third.item_id, NOW + timedelta(seconds=30), "429")
    assert await outbox.claim("telegram", 10, NOW + timedelta(seconds=29)) == []
    later = await outbox.claim("telegram", 10, NOW + timedelta(seconds=30))
    assert [(i.key, i.attempts) for i in later] == [("k2", 2)]


async def test_a_postponed_reply_comes_back_later_without_counting_a_try(outbox: Outbox) -> None:
    await queue(outbox, [Outgoing("k0", "telegram", Reply(GROUP, ANN, "m0"))])
    (claimed,) = await outbox.claim("telegram", 10, NOW)
    await outbox.postpone(claimed.item_id, NOW + timedelta(seconds=50))
    assert await outbox.claim("telegram", 10, NOW + timedelta(seconds=49)) == []
    (again,) = await outbox.claim("telegram", 10, NOW + timedelta(seconds=50))
    assert again.attempts == claimed.attempts == 1


async def test_many_sends_are_marked_delivered_in_one_step_and_counted_for_the_limits(outbox: Outbox) -> None:
    rooms = [Room("telegram", f"-10{n}", private=False) for n in range(4)]
    await queue(outbox, [Outgoing(f"k{n}", "telegram", Reply(rooms[n], ANN, f"m{n}")) for n in range(4)])
    claimed = await outbox.claim("telegram", 10, NOW)
    await outbox.delivered_many([i.item_id for i in claimed[:3]], NOW)
    await outbox.delivered_many([], NOW)
    sends = await outbox.recent_sends("telegram", NOW - timedelta(seconds=1))
    assert sorted(sends) == [(f"room:-10{n}", True, NOW) for n in range(3)]
    assert await outbox.recent_sends("telegram", NOW + timedelta(seconds=1)) == []
    assert await outbox.recent_sends("slack", NOW - timedelta(seconds=1)) == []
    later = await outbox.claim("telegram", 10, NOW + timedelta(minutes=2))
    assert [i.key for i in later] == ["k3"], "sent ones are never claimed again"


async def test_replies_sent_through_a_free_channel_are_sent_but_not_counted_for_the_limits(outbox: Outbox) -> None:
    # Answers through a Slack command's response_url are not chat.postMessage: no instance may count
    # them against the channel's limits, yet they are sent and never claimed again.
    channel = Room("slack", "C0BAR", private=False)
    await queue(outbox, [Outgoing(f"k{n}", "slack", Reply(channel, ANN, f"m{n}")) for n in range(3)])
    claimed = await outbox.claim("slack", 10, NOW)
    await outbox.delivered_many([i.item_id for i in claimed], NOW, free_of_limits={claimed[0].item_id,
                                                                                   claimed[1].item_id})
    assert await outbox.recent_sends("slack", NOW - timedelta(seconds=1)) == [("room:C0BAR", True, NOW)]
    assert await outbox.claim("slack", 10, NOW + timedelta(minutes=2)) == [], "all three were sent"


async def test_the_rows_of_one_coalesced_message_settle_together_and_count_as_one_message(outbox: Outbox) -> None:
    # Forty answers to one group go out as one message: its rows are marked sent in one step, and the
    # group's rate limit counts one message, not forty. A second message a second later counts again.
    await queue(outbox, [Outgoing(f"k{n}", "telegram", Reply(GROUP, ANN, f"m{n}")) for n in range(41)])
    claimed = await outbox.claim("telegram", 100, NOW)
    await outbox.delivered_many([i.item_id for i in claimed[:40]], NOW)
    await outbox.delivered_many([claimed[40].item_id], NOW + timedelta(seconds=1))
    sends = await outbox.recent_sends("telegram", NOW - timedelta(seconds=1))
    assert sorted(sends) == [("room:-100", True, NOW), ("room:-100", True, NOW + timedelta(seconds=1))]
    assert await outbox.claim("telegram", 100, NOW + timedelta(minutes=2)) == [], "none of them is sent twice"


async def test_a_coalesced_message_not_settled_before_a_crash_comes_back_whole(outbox: Outbox) -> None:
    # Claimed and (perhaps) sent, then the instance died before marking them: every part comes back
    # when the lease runs out, so the message is sent again whole (at least once), none of it lost.
    await queue(outbox, [Outgoing(f"k{n}", "telegram", Reply(GROUP, ANN, f"m{n}")) for n in range(5)])
    claimed = await outbox.claim("telegram", 100, NOW, lease_seconds=60)
    assert await outbox.claim("telegram", 100, NOW + timedelta(seconds=59)) == []
    again = await outbox.claim("telegram", 100, NOW + timedelta(seconds=60))
    assert [i.key for i in again] == [i.key for i in claimed]
    await outbox.delivered_many([i.item_id for i in again], NOW + timedelta(seconds=61))
    assert await outbox.claim("telegram", 100, NOW + timedelta(minutes=5)) == []


async def test_a_press_answer_counts_as_a_press_and_a_send_that_went_elsewhere_counts_where_it_went(
    outbox: Outbox,
) -> None:
    # A press's answer is no message in the group; an answer said privately because the group was busy
    # is a message in the private chat; a press answer said as a message after all is one in the group.
    answered = {PRESS: "q1", ANSWERS_PRESS: "1"}
    await queue(outbox, [Outgoing("toast", "telegram", Reply(GROUP, ANN, "Great!", ephemeral=True), answered),
                         Outgoing("mine", "telegram", Reply(GROUP, ANN, "Your songs", ephemeral=True)),
                         Outgoing("late", "telegram", Reply(GROUP, ANN, "Too late", ephemeral=True),
                                  {PRESS: "q2", ANSWERS_PRESS: "1"})])
    toast, mine, late = await outbox.claim("telegram", 10, NOW)
    assert (toast.chat, toast.group) == ("press:q1", False) and toast.context == answered
    assert (mine.chat, mine.group) == ("room:-100", True)
    await outbox.delivered_many([toast.item_id, mine.item_id], NOW, {mine.item_id: ("private:1", False)})
    await outbox.delivered_many([late.item_id], NOW + timedelta(seconds=1), {late.item_id: ("room:-100", True)})
    sends = await outbox.recent_sends("telegram", NOW - timedelta(seconds=1))
    assert sorted(sends) == [("press:q1", False, NOW), ("private:1", False, NOW),
                             ("room:-100", True, NOW + timedelta(seconds=1))]
    assert await outbox.claim("telegram", 10, NOW + timedelta(minutes=2)) == []
