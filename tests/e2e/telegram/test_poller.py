"""Long polling stores every update before Telegram is told it arrived, so nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from telegram import Bot

from bots.telegram import TelegramPoller
from core.chat import Pressed, Said
from core.delivery import PRESS
from tests.e2e.telegram.conftest import BOT_USERNAME
from tests.e2e.telegram.fakes import MemoryInbox, StorageDown
from tests.standins import FakeTelegram


def _poller(bot: Bot, inbox: MemoryInbox) -> TelegramPoller:
    return TelegramPoller(bot, inbox, bot_username=BOT_USERNAME, timeout=0.2, backoff_initial=0.01, backoff_max=0.05)


@contextlib.asynccontextmanager
async def _running(poller: TelegramPoller) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(poller.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.01)


def _a_busy_night(tg: FakeTelegram) -> list[int]:
    """A private /start, a group /request, a button press, an edit and a message from another bot."""
    group = tg.group()
    ann, kim = tg.user(1001, "Ann", "ann"), tg.user(1002, "Kim", "kim")
    start = tg.push_message(None, ann, "/start K7QX2")
    request = tg.push_message(group, kim, "/request dremas")
    press = tg.push_callback(None, ann, 3, "c:tok1")
    edit = tg.push_edited_message(group, kim, request["message"]["message_id"], "/request dreams")
    spam = tg.push_message(group, {"id": 777, "is_bot": True, "first_name": "Spam", "username": "spam_bot"}, "/next")
    return [u["update_id"] for u in (start, request, press, edit, spam)]


async def test_every_kind_of_update_is_stored_once_and_confirmed_only_after(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    confirmed_when_stored: list[bool] = []
    inbox.on_put = lambda event: confirmed_when_stored.append(int(event.update_key) in tg.confirmed_update_ids)
    ids = _a_busy_night(tg)
    async with _running(_poller(bot, inbox)):
        await _until(lambda: len(inbox.items) == 5)
        await tg.wait_until_confirmed(ids[-1])
    assert inbox.keys == [str(i) for i in ids]
    assert [type(e) for e in inbox.events] == [Said, Said, Pressed, Said, Said]
    assert [e.text for e in inbox.events if isinstance(e, Said)] == [
        "/start K7QX2", "/request dremas", "/request dreams", "/next"]
    assert inbox.events[-1].person.is_bot  # stored; the core stays silent for bots
    assert confirmed_when_stored == [False] * 5
    assert tg.pending_updates == []
    # The press is stored with what its answer needs; the delivery answers it, with its reply if it can.
    assert list(inbox.items[2][1]) == [PRESS]
    assert tg.callback_answers == []


async def test_a_storage_outage_leaves_the_update_unconfirmed_until_it_is_stored(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    poller = _poller(bot, inbox)
    first = tg.push_message(None, tg.user(1001, "Ann"), "/start K7QX2")
    assert await poller.poll_once() == 1
    second = tg.push_message(None, 1001, "/request zombie")
    inbox.fail_next()
    with pytest.raises(StorageDown):
        await poller.poll_once()
    # The first is confirmed by that call's offset; the second must wait for a successful store.
    assert first["update_id"] in tg.confirmed_update_ids
    assert [u["update_id"] for u in tg.pending_updates] == [second["update_id"]]
    assert poller.offset == second["update_id"]
    assert await poller.poll_once() == 1
    assert inbox.keys == [str(first["update_id"]), str(second["update_id"])]
    await poller.poll_once()
    assert second["update_id"] in tg.confirmed_update_ids


async def test_the_running_poller_rides_out_an_outage_and_stores_the_update_on_the_next_round(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    inbox.fail_next(times=2)
    update = tg.push_message(None, tg.user(1001, "Ann"), "/request zombie")
    async with _running(_poller(bot, inbox)) as task:
        await tg.wait_until_confirmed(update["update_id"])
        assert not task.done()
    assert inbox.keys == [str(update["update_id"])]
    offsets = [c.params.get("offset") for c in tg.calls_to("getUpdates")]
    # Every poll before the store succeeded asked from the start again; only then did the offset move on.
    assert offsets[:3] == [None, None, None]
    assert offsets[3] == update["update_id"] + 1


async def test_a_batch_that_fails_to_be_stored_is_not_confirmed_and_comes_again_whole(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    ann = tg.user(1001, "Ann")
    press = tg.push_callback(None, ann, 3, "c:tok1")
    message = tg.push_message(None, ann, "/queue")
    poller = _poller(bot, inbox)
    inbox.fail_next()
    with pytest.raises(StorageDown):
        await poller.poll_once()
    assert inbox.keys == [] and tg.callback_answers == []
    assert poller.offset is None
    assert [u["update_id"] for u in tg.pending_updates] == [press["update_id"], message["update_id"]]
    assert await poller.poll_once() == 2
    assert inbox.keys == [str(press["update_id"]), str(message["update_id"])]
    assert inbox.items[0][1] == {PRESS: press["callback_query"]["id"]}
    await poller.poll_once()
    assert tg.pending_updates == []


async def test_a_whole_getupdates_batch_is_stored_in_one_step(tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    people = [tg.user(2000 + n, f"Singer {n}") for n in range(30)]
    ids = [tg.push_message(None, person, "/queue")["update_id"] for person in people]
    poller = _poller(bot, inbox)
    assert await poller.poll_once() == 30
    assert inbox.batches == [30]
    assert inbox.keys == [str(i) for i in ids]
    assert poller.offset == ids[-1] + 1
    assert await poller.poll_once() == 0, "nothing new: no batch to store"
    assert inbox.batches == [30]
    assert set(ids) <= set(tg.confirmed_update_ids)


async def test_a_redelivered_update_is_not_stored_twice(tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    poller = _poller(bot, inbox)
    update = tg.push_message(None, tg.user(1001, "Ann"), "/request zombie")
    assert await poller.poll_once() == 1
    await poller.poll_once()
    tg.redeliver(update["update_id"])
    assert await poller.poll_once() == 0
    assert inbox.keys == [str(update["update_id"])]
    assert inbox.duplicates == [str(update["update_id"])]


async def test_a_redelivered_press_is_stored_once_and_the_poller_answers_neither(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    # The one answer goes through the outbox (tests/e2e/telegram/test_press_answers.py), once per stored press.
    poller = _poller(bot, inbox)
    press = tg.push_callback(None, tg.user(1001, "Ann"), 3, "c:tok1")
    assert await poller.poll_once() == 1
    tg.redeliver(press["update_id"])
    assert await poller.poll_once() == 0
    assert len(inbox.items) == 1 and tg.callback_answers == []


async def test_errors_from_telegram_are_retried_and_pending_updates_are_never_dropped(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    await bot.set_webhook("https://example.invalid/hook")  # left over from webhook mode
    update = tg.push_message(None, tg.user(1001, "Ann"), "/start K7QX2")
    tg.fail_next("getUpdates", 502)
    tg.drop_connection_next("getUpdates")
    tg.fail_next("getUpdates", 429, retry_after=0)
    async with _running(_poller(bot, inbox)) as task:
        await tg.wait_until_confirmed(update["update_id"])
        assert not task.done()
    assert inbox.keys == [str(update["update_id"])]
    assert tg.dropped_updates == []
    assert all(not c.params.get("drop_pending_updates") for c in tg.calls_to("deleteWebhook"))


async def test_an_update_this_ptb_cannot_parse_does_not_block_the_ones_after_it(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox, caplog: pytest.LogCaptureFixture) -> None:
    ann = tg.user(1001, "Ann")
    before = tg.push_message(None, ann, "/start K7QX2")
    poll = tg.make_message(tg.group(), ann, "x")
    del poll["text"]
    poll["poll"] = {"id": "p", "question": "Next song?", "options": [], "total_voter_count": 0, "is_closed": False,
                    "is_anonymous": True, "type": "regular", "allows_multiple_answers": False}  # too old for PTB
    poison = tg.push_raw({"message": poll})
    after = tg.push_message(None, ann, "/request zombie")
    poller = _poller(bot, inbox)
    assert await poller.poll_once() == 2
    assert inbox.keys == [str(before["update_id"]), str(after["update_id"])]
    await poller.poll_once()
    assert {poison["update_id"], after["update_id"]} <= set(tg.confirmed_update_ids)
    assert f"Telegram update {poison['update_id']} is unreadable" in caplog.text


async def test_cancelling_the_poller_ends_a_long_poll_promptly(tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    poller = TelegramPoller(bot, inbox, timeout=30)
    task = asyncio.create_task(poller.run())
    await tg.wait_for_call("getUpdates")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)


async def test_updates_that_arrive_while_the_poller_gathers_after_a_batch_are_stored_as_one_batch(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    # Each batch costs a round trip and, downstream, a transaction to store, claim, finish and send it:
    # after a batch of several the poller waits a moment, and updates arriving meanwhile come together.
    poller = TelegramPoller(bot, inbox, bot_username=BOT_USERNAME, timeout=0.2, gather=1.0)
    ann, bob = tg.user(1001, "Ann"), tg.user(1002, "Bob")
    tg.push_message(None, ann, "/start K7QX2")
    tg.push_message(None, bob, "/start K7QX2")
    async with _running(poller):
        await _until(lambda: len(inbox.items) == 2)
        for text in ("/request zombie", "/request dreams", "/queue"):
            last = tg.push_message(None, ann, text)
            await asyncio.sleep(0.1)  # one by one, each a poll's round trip after the last
        await _until(lambda: len(inbox.items) == 5)
        await tg.wait_until_confirmed(last["update_id"])
    assert inbox.batches == [2, 3]


async def test_after_a_batch_of_one_or_none_the_poller_asks_again_at_once(
        tg: FakeTelegram, bot: Bot, inbox: MemoryInbox) -> None:
    # One update per poll says they come no faster than a round trip: waiting would only delay the next.
    # With a gather of a minute, a wait after either would keep the second update out past _until's patience.
    ann = tg.user(1001, "Ann")
    poller = TelegramPoller(bot, inbox, bot_username=BOT_USERNAME, timeout=0.05, gather=60)
    async with _running(poller):
        tg.push_message(None, ann, "/start K7QX2")
        await _until(lambda: len(inbox.items) == 1)
        tg.push_message(None, ann, "/request zombie")
        await _until(lambda: len(inbox.items) == 2)
        await asyncio.sleep(0.3)  # polls that bring nothing
        tg.push_message(None, ann, "/mysongs")
        await _until(lambda: len(inbox.items) == 3)
    assert inbox.batches == [1, 1, 1]
