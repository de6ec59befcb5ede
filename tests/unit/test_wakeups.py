"""Wake-ups in one process: who hears what, waiters that miss nothing, and a show's version shared by all
of its screens so that a thousand of them cost one read per safety net."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.wakeups import CATALOG, SHOWS, LiveVersions, LocalWakeups, Subscription, forward
from tests.unit.fakes import FakeMonotonic, FakeWakeups


class Reads:
    """The store's version read, counted; ``gate`` holds reads back until the test lets them go."""

    def __init__(self, versions: dict[str, int]) -> None:
        self.versions = versions
        self.count = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, show_id: str) -> int | None:
        self.count += 1
        await self.gate.wait()
        return self.versions.get(show_id)


def board(reads: Reads, wakeups: FakeWakeups | LocalWakeups, clock: FakeMonotonic) -> LiveVersions:
    return LiveVersions(wakeups, reads, clock, max_age=15.0)


@pytest.mark.parametrize(
    ("listening_to", "announced", "heard"),
    [
        ((SHOWS, "s1"), (SHOWS, "s1", "7"), [("s1", "7")]),
        ((SHOWS, None), (SHOWS, "s2", "3"), [("s2", "3")]),
        ((SHOWS, "s1"), (SHOWS, "s2", "3"), []),
        ((CATALOG, None), (SHOWS, "s1", "7"), []),
    ],
)
def test_a_wake_up_reaches_listeners_of_its_key_and_of_its_whole_channel_only(
    listening_to: tuple[str, str | None], announced: tuple[str, str, str], heard: list[tuple[str, str]]
) -> None:
    wakeups = LocalWakeups()
    got: list[tuple[str, str | None]] = []
    wakeups.listen(*listening_to, lambda key, data: got.append((key, data)))
    wakeups.notify(*announced)
    assert got == heard


def test_a_listener_that_fails_does_not_keep_the_wake_up_from_the_others(caplog: pytest.LogCaptureFixture) -> None:
    wakeups = LocalWakeups()
    got: list[str] = []

    def broken(_key: str, _data: str | None) -> None:
        raise RuntimeError("bug")

    wakeups.listen(SHOWS, None, broken)
    wakeups.listen(SHOWS, None, lambda key, _: got.append(key))
    with caplog.at_level(logging.ERROR):
        wakeups.notify(SHOWS, "s1", "2")
    assert got == ["s1"]
    assert "a wake-up listener failed" in caplog.text


def test_a_stopped_listener_hears_nothing_more() -> None:
    wakeups = LocalWakeups()
    got: list[str] = []
    stop = wakeups.listen(CATALOG, None, lambda key, _: got.append(key))
    stop()
    wakeups.notify(CATALOG, "")
    assert got == [] and wakeups.listening(CATALOG) == 0


async def test_a_subscription_keeps_what_arrived_while_its_holder_was_busy_and_times_out_otherwise() -> None:
    wakeups = LocalWakeups()
    with Subscription(wakeups, SHOWS, "s1") as subscription:
        assert await subscription.wait(0.01) is None
        wakeups.notify(SHOWS, "s1", "4")
        wakeups.notify(SHOWS, "s1", "5")
        wake = await subscription.wait(0)
        assert wake is not None and wake.data == "5" and not wake.look_again
        wakeups.wake_all()
        wake = await subscription.wait(0)
        assert wake is not None and wake.data is None and wake.look_again
        assert await subscription.wait(0.01) is None
    assert wakeups.listening(SHOWS) == 0


async def test_forward_sets_a_workers_wake_up_event() -> None:
    wakeups = FakeWakeups()
    arrived = asyncio.Event()
    stop = forward(wakeups, "inbox", arrived)
    wakeups.notify("inbox", "telegram")
    assert arrived.is_set()
    stop()
    assert wakeups.listeners == []


async def test_a_thousand_screens_of_one_show_cost_one_read() -> None:
    reads, clock = Reads({"s1": 3}), FakeMonotonic()
    versions = board(reads, FakeWakeups(), clock)
    reads.gate.clear()
    watches = [versions.watch("s1") for _ in range(1000)]
    asking = [asyncio.create_task(w.current()) for w in watches]
    await asyncio.sleep(0)
    reads.gate.set()
    assert await asyncio.gather(*asking) == [3] * 1000
    assert reads.count == 1
    clock.seconds += 14
    assert await asyncio.gather(*(w.current() for w in watches)) == [3] * 1000
    assert reads.count == 1, "known fresh: no read within the safety net"


async def test_an_announced_version_wakes_every_screen_and_needs_no_read() -> None:
    reads, wakeups, clock = Reads({"s1": 3}), FakeWakeups(), FakeMonotonic()
    versions = board(reads, wakeups, clock)
    watches = [versions.watch("s1") for _ in range(3)]
    for watch in watches:
        assert await watch.current() == 3
    waiting = [asyncio.create_task(w.changed(60)) for w in watches]
    await asyncio.sleep(0)
    wakeups.notify(SHOWS, "s1", "4")
    assert await asyncio.gather(*waiting) == [True, True, True]
    clock.seconds += 10
    assert [await w.current() for w in watches] == [4, 4, 4]
    assert reads.count == 1
    assert len(wakeups.listeners) == 1, "one listener for the show, however many screens"


async def test_with_no_wake_up_the_version_is_read_again_after_the_safety_net_once_for_all() -> None:
    reads, clock = Reads({"s1": 3}), FakeMonotonic()
    versions = board(reads, FakeWakeups(), clock)
    watches = [versions.watch("s1") for _ in range(50)]
    await watches[0].current()
    assert await watches[1].current() == 3
    assert not await watches[1].changed(0.01), "nothing announced, nothing to wake for"
    reads.versions["s1"] = 9  # written while the announcement was lost
    clock.seconds += 15
    assert await asyncio.gather(*(w.current() for w in watches)) == [9] * 50
    assert reads.count == 2


async def test_look_again_makes_the_next_ask_read_and_wakes_the_screens() -> None:
    reads, wakeups, clock = Reads({"s1": 3}), FakeWakeups(), FakeMonotonic()
    versions = board(reads, wakeups, clock)
    watch = versions.watch("s1")
    await watch.current()
    reads.versions["s1"] = 5
    waiting = asyncio.create_task(watch.changed(60))
    await asyncio.sleep(0)
    wakeups.lost_announcements()
    assert await waiting
    assert await watch.current() == 5 and reads.count == 2


async def test_a_slow_read_never_takes_the_version_back() -> None:
    reads, wakeups, clock = Reads({"s1": 3}), FakeWakeups(), FakeMonotonic()
    versions = board(reads, wakeups, clock)
    watch = versions.watch("s1")
    reads.gate.clear()
    asking = asyncio.create_task(watch.current())
    await asyncio.sleep(0)
    wakeups.notify(SHOWS, "s1", "4")  # committed after the read looked
    reads.gate.set()
    assert await asking == 4
    assert await watch.current() == 4


async def test_a_show_nobody_watches_any_more_is_forgotten_after_the_safety_net() -> None:
    reads, wakeups, clock = Reads({"s1": 3, "s2": 1}), FakeWakeups(), FakeMonotonic()
    versions = board(reads, wakeups, clock)
    with versions.watch("s1") as watch:
        await watch.current()
    assert await versions.version("s1") == 3 and reads.count == 1, "a screen coming back finds it known"
    clock.seconds += 15
    await versions.version("s2")
    assert versions.watched == 1
    assert [key for _, key, _ in wakeups.listeners] == ["s2"]


async def test_an_unknown_show_has_no_version() -> None:
    versions = board(Reads({}), FakeWakeups(), FakeMonotonic())
    assert await versions.version("nope") is None
