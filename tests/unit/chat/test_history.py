"""``/history``: what was sung so far tonight, told short, from the Performances view (or the log without one)."""

from __future__ import annotations

import time

import pytest

from core.projections import PERFORMANCES, CaughtUpPerformances, PerformanceLog, PerformanceRows, ProjectionRunner
from core.projections import Performances as PerformancesProjection
from tests.unit.chat.conversation import play
from tests.unit.chat.fakes import NOW, Night
from tests.unit.fakes import FakeClock
from tests.unit.projections.fakes import InMemoryPerformanceLog, InMemoryProjectionStore
from tests.unit.rotation.fakes import InMemoryShowStore


def through_the_view(shows: InMemoryShowStore) -> PerformanceLog:
    """The view as the service reads it: the projection's store over the night's show store, caught up per read."""
    rows = PerformanceRows()
    store = InMemoryProjectionStore(shows, {PERFORMANCES: rows})
    runner = ProjectionRunner(store, [PerformancesProjection()], clock=FakeClock(NOW), monotonic=time.monotonic)
    return CaughtUpPerformances(InMemoryPerformanceLog(rows, shows), runner)


@pytest.fixture(params=["view", "log"])
async def night(request: pytest.FixtureRequest) -> Night:
    performances = through_the_view if request.param == "view" else None
    started = await Night(performances=performances).start()
    await started.open()
    return started


async def test_history_says_what_was_sung_by_whom_and_not_what_was_skipped_or_undone(night: Night) -> None:
    await play(night, [
        ("ann", "bar", "/history", ["Nothing has been sung yet tonight. Be the first: /request <song>."]),
        ("ann", "bar", "/request zombi", ["Queued Zombie"]),
        ("bob", "bar", "/request africa", ["Queued Africa"]),
        ("cat", "bar", "/request waterloo", ["Queued Waterloo"]),
        ("kim", "bar", "/next", ["Now singing: Ann — Zombie"]),
        ("kim", "bar", "/skip", ["Passed over Bob"]),
        ("kim", "bar", "/next", ["Now singing: Cat — Waterloo"]),
        ("dan", "dm", "/history", ["You haven't joined a show yet."]),
        ("bob", "bar", "/history", ["Sung so far tonight: 1 song.", "1. Ann — Zombie (The Cranberries)"]),
        ("kim", "bar", "/undo", ["Undid the last /next."]),
        ("ann", "bar", "/history", ["Nothing has been sung yet tonight."]),
        ("kim", "bar", "/next", ["Now singing: Cat — Waterloo"]),
        ("kim", "bar", "/skip now", ["Voided Cat's Waterloo"]),
        ("kim", "bar", "/next", ["Now singing"]),
        ("cat", "bar", "/history", ["Sung so far tonight: 2 songs.", "1. Ann — Zombie (The Cranberries)",
                                    "2. Bob — Africa (Toto)"]),
    ])
    answer = await night.say("cat", "bar", "/history")
    assert "Waterloo" not in answer and "Cat" not in answer


async def test_a_long_night_lists_the_latest_songs_and_counts_the_rest(night: Night) -> None:
    titles = ["zombie", "africa", "waterloo", "linger", "wonderwall", "mamma mia", "dancing queen", "i will survive"]
    for round_no in range(2):
        for n, title in enumerate(titles[:6] if round_no else titles):
            await night.say("ann" if n % 2 else "bob", "bar", f"/request {title}")
            await night.say("kim", "bar", "/next")
    answer = await night.say("kim", "bar", "/history")
    lines = answer.split("\n")
    assert lines[0] == "Sung so far tonight: 13 songs."
    assert lines[1] == "(3 earlier, then:)"
    assert lines[2].startswith("4. ") and lines[-1].startswith("13. ")
    assert len(lines) == 12


async def test_after_the_close_history_tells_that_nights_songs(night: Night) -> None:
    await play(night, [
        ("ann", "bar", "/request zombi", ["Queued Zombie"]),
        ("kim", "bar", "/next", ["Now singing: Ann — Zombie"]),
        ("kim", "bar", "/close", [""]),
        # Ann was still at the mic: the night closed before her song ended, so it is not counted as sung.
        ("ann", "bar", "/history", ["Nothing was sung at “Friday Night”."]),
    ])
