"""A redelivered update (same update_key) is applied once and answered the same."""

from __future__ import annotations

import pytest

from tests.unit.chat.fakes import Night


async def test_a_redelivered_request_queues_the_song_once() -> None:
    night = await Night().start()
    await night.open("kim", "bar")
    first = await night.say("ann", "bar", "/request zombi", update_key="42")
    again = await night.say("ann", "bar", "/request zombi", update_key="42")
    assert first == again == "Queued Zombie — The Cranberries. You're next, any moment now."
    assert await night.queue_titles() == ["Zombie"]
    assert "already in tonight's queue" in await night.say("ann", "bar", "/request zombi", update_key="43")


@pytest.mark.parametrize("kj_says", ["/next", "/skip", "/undo", "/remove 1", "/move 2 1"])
async def test_a_redelivered_kj_action_is_applied_once(kj_says: str) -> None:
    night = await Night().start()
    await night.open("kim", "bar")
    for who, song in [("ann", "zombi"), ("bob", "africa toto"), ("cat", "wonderwal")]:
        await night.say(who, "bar", f"/request {song}")
    await night.say("kim", "bar", "/next")
    await night.say("kim", "bar", "/next")
    show_id = next(iter(night.store.rows))
    await night.say("kim", "bar", kj_says, update_key="77")
    once = len(night.store.rows[show_id])
    await night.say("kim", "bar", kj_says, update_key="77")
    assert len(night.store.rows[show_id]) == once


async def test_a_redelivered_open_opens_one_show() -> None:
    night = await Night().start()
    first = await night.say("kim", "dm", "/open Solo", update_key="9")
    again = await night.say("kim", "dm", "/open Solo", update_key="9")
    assert first == again
    assert len(night.store.rows) == 1


async def test_a_redelivered_button_press_queues_once_and_an_edit_with_a_new_key_is_a_new_message() -> None:
    night = await Night().start()
    await night.open("kim", "bar")
    await night.say("ann", "bar", "/request dreams")
    buttons = night.last
    await night.press("ann", "bar", "Fleetwood", update_key="p1")
    night.last = buttons
    assert "Queued Dreams — Fleetwood Mac" in await night.press("ann", "bar", "Fleetwood", update_key="p1")
    assert await night.queue_titles() == ["Dreams"]
    # An edited message arrives with its own update key: it counts as a new message.
    assert "Queued Zombie" in await night.say("ann", "bar", "/request zombi", update_key="e1")
    assert await night.queue_titles() == ["Dreams", "Zombie"]
