"""Refusals are one friendly line and change nothing: roles, other people's buttons, limits, duplicates."""

from __future__ import annotations

import pytest

from tests.unit.chat.conversation import play
from tests.unit.chat.fakes import Night


async def night_with_requests() -> Night:
    night = await Night().start()
    await night.open("kim", "bar")
    await play(night, [
        ("ann", "bar", "/request bohemain rhapsody", ["Queued Bohemian Rhapsody"]),
        ("bob", "bar", "/request zombi", ["Queued Zombie"]),
    ])
    return night


@pytest.mark.parametrize("says", ["/next", "/skip", "/pause @bob", "/resume bob", "/remove 1", "/move 2 1",
                                  "/undo", "/close", "/kj @ann", "/settings", "/settings max_pending 9"])
async def test_only_a_kj_can_run_kj_commands_and_nothing_changes(says: str) -> None:
    night = await night_with_requests()
    before = await night.store.load(next(iter(night.store.rows)))
    assert await night.say("ann", "bar", says) == "Only the show's KJ can do that."
    assert await night.store.load(next(iter(night.store.rows))) == before


async def test_another_singer_pressing_my_button_is_refused() -> None:
    night = await night_with_requests()
    await play(night, [
        ("ann", "bar", "/request dreams", ["Which one did you mean"]),
        ("bob", "bar", "press:Fleetwood Mac", ["That button belongs to someone else."]),
        ("ann", "bar", "/mysongs", ["1. Bohemian Rhapsody"]),
        ("bob", "bar", "press:Cancel 1", ["That button belongs to someone else."]),
    ])
    assert await night.queue_titles() == ["Bohemian Rhapsody", "Zombie"]


@pytest.mark.parametrize("data", ["c:tok999", "c:", "request:song-3", "", "c:" + "A" * 62, "🎤"])
async def test_forged_callback_data_is_refused(data: str) -> None:
    night = await night_with_requests()
    answer = await night.press("bob", "bar", "", data=data)
    assert answer == "That button has expired or doesn't exist. Send /request again."
    assert await night.queue_titles() == ["Bohemian Rhapsody", "Zombie"]


async def test_an_expired_button_is_refused() -> None:
    night = await night_with_requests()
    await night.say("ann", "bar", "/request dreams")
    night.clock.tick(3 * 3600)
    assert "expired" in await night.press("ann", "bar", "Fleetwood Mac")


async def test_every_button_fits_telegrams_callback_limit() -> None:
    night = await night_with_requests()
    await night.say("ann", "bar", "/search queen")
    assert night.last[0].buttons
    assert all(len(b.data.encode()) <= 64 for r in night.last for b in r.buttons)


async def test_limit_reached_and_duplicate_song_are_explained_and_change_nothing() -> None:
    night = await night_with_requests()
    await play(night, [
        ("cat", "bar", "/request zombi", ["Zombie — The Cranberries is already in tonight's queue."]),
        ("ann", "bar", "/request africa", ["Queued Africa"]),
        ("ann", "bar", "/request wonderwal", ["Queued Wonderwall"]),
        ("ann", "bar", "/request waterloo", ["You already have 3 songs waiting — that's the limit."]),
    ])
    assert "Waterloo" not in await night.queue_titles()


async def test_a_singer_who_has_not_joined_is_told_how_to_join() -> None:
    night = await Night().start()
    await night.open("kim", "bar")
    await play(night, [
        ("ann", "dm", "/request zombi", ["You haven't joined a show yet. Send /join CODE"]),
        ("ann", "dm", "zombi", ["You haven't joined a show yet."]),
        ("ann", "dm", "/queue", ["You haven't joined a show yet."]),
        ("ann", "dm", "/join ZZZZZ", ["No open show has the code “ZZZZZ”."]),
        ("ann", "dm", "/join", ["Send /join followed by the code"]),
        ("ann", "other-group", "/next", ["You haven't joined a show yet."]),
    ])


async def test_a_second_show_cannot_be_opened_in_a_room_with_an_open_one() -> None:
    night = await Night().start()
    await night.open("kim", "bar")
    await play(night, [
        ("ann", "bar", "/open Mine", ["This room already has an open show, “Friday Night”. Join it with /join"]),
        # The KJ decides: keep the open show, or close it and open the new one.
        ("kim", "bar", "/open Again", ["This room already has “Friday Night” open. Close it and open “Again”"]),
        ("ann", "bar", "press:Close", ["That button belongs to someone else."]),
        ("kim", "bar", "/open Again", ["This room already has “Friday Night” open."]),
        ("kim", "bar", "press:Keep", ["OK, “Friday Night” stays open. Join code:"]),
        ("kim", "bar", "/open Saturday", ["Close it and open “Saturday”"]),
        ("kim", "bar", "press:Close", ["“Saturday” is open!"]),
        ("ann", "bar", "/request zombi", ["Queued Zombie"]),
        ("kim", "bar", "/queue", ["1. Ann — Zombie"]),
    ])
    shows = (await night.rotation.list_shows()).items
    assert sorted((s.name, s.closed) for s in shows) == [("Friday Night", True), ("Saturday", False)]


async def test_kj_commands_that_do_not_fit_the_queue_say_so() -> None:
    night = await Night().start()
    await night.open("kim", "bar")
    await play(night, [
        ("kim", "bar", "/next", ["The queue is empty — the show is still open."]),
        ("kim", "bar", "/skip", ["Nobody is waiting to be called."]),
        ("kim", "bar", "/undo", ["There's nothing left to undo."]),
        ("kim", "bar", "/remove 1", ["Nobody is waiting in the queue."]),
        ("kim", "bar", "/move 1 2", ["Nobody is waiting, so there's nothing to move."]),
        ("kim", "bar", "/pause", ["Who? /pause @singer"]),
        ("kim", "bar", "/pause @nobody", ["I can't find a singer called “nobody” in this show."]),
        ("ann", "bar", "/request zombi", ["Queued Zombie"]),
        ("kim", "bar", "/remove 7", ["Use /remove with a number from 1 to 1"]),
        ("kim", "bar", "/move 1 x", ["Use /move n m"]),
        ("kim", "bar", "/pause 9", ["There's no number 9 in /queue."]),
        ("kim", "bar", "/pause 1", ["Paused Ann"]),
        ("kim", "bar", "/resume @ann", ["Ann is back in the rotation."]),
        ("kim", "bar", "/resume ann", ["Ann is not paused."]),
    ])
