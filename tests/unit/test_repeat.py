"""``Repeat``: work runs again at once, an idle loop waits for its wake-up, a failure never ends it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.repeat import Repeat


class Steps:
    """A step that finds work the first ``busy`` times, and says each time it ran."""

    def __init__(self, busy: int = 0, fail: int = 0) -> None:
        self.busy, self.fail, self.runs = busy, fail, 0
        self.ran = asyncio.Event()

    async def __call__(self) -> bool:
        self.runs += 1
        self.ran.set()
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the database hiccuped")
        if self.busy:
            self.busy -= 1
            return True
        return False

    async def next_run(self) -> None:
        self.ran.clear()
        await asyncio.wait_for(self.ran.wait(), 5)


async def test_after_work_the_step_runs_again_at_once_then_waits_for_its_wake_up() -> None:
    wake = asyncio.Event()
    step = Steps(busy=2)
    loop = Repeat("test", step, idle_seconds=3600, wake=wake)
    loop.start()
    try:
        while step.runs < 3:
            await step.next_run()
        await asyncio.sleep(0.05)
        assert step.runs == 3, "idle: nothing runs until woken"
        wake.set()
        await step.next_run()
        assert step.runs == 4 and loop.running
    finally:
        await loop.stop()
    assert not loop.running


async def test_work_that_arrives_during_a_step_is_not_missed() -> None:
    wake = asyncio.Event()
    runs = Steps()

    async def step() -> bool:
        await runs()
        if runs.runs == 1:
            wake.set()  # someone stores new work while the first step runs
        return False

    loop = Repeat("test", step, idle_seconds=3600, wake=wake)
    loop.start()
    try:
        while runs.runs < 2:
            await runs.next_run()  # without the wake-up kept, the second run would be an hour away
    finally:
        await loop.stop()


async def test_a_failing_step_is_logged_and_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    step = Steps(fail=2)
    loop = Repeat("flaky", step, idle_seconds=0.01)
    with caplog.at_level(logging.WARNING):
        loop.start()
        try:
            while step.runs < 3:
                await step.next_run()
        finally:
            await loop.stop()
    assert [r.getMessage() for r in caplog.records] == ["flaky failed; retrying"] * 2


def test_a_loop_without_a_wake_up_needs_a_time_to_look_again() -> None:
    with pytest.raises(ValueError, match="wake-up"):
        Repeat("never", Steps(), idle_seconds=None)


class DatabaseDown:
    """Outages that recognise the test's "database is down" failures, and count them."""

    def __init__(self) -> None:
        self.absorbed = 0

    def absorbs(self, error: BaseException) -> bool:
        if "down" in str(error):
            self.absorbed += 1
            return True
        return False


async def test_failures_of_an_outage_are_left_to_the_outages_to_log_once(caplog: pytest.LogCaptureFixture) -> None:
    runs = Steps()

    async def step() -> bool:
        await runs()
        if runs.runs <= 3:
            raise ConnectionRefusedError("the database is down")
        if runs.runs == 4:
            raise RuntimeError("a bug")
        return False

    outages = DatabaseDown()
    loop = Repeat("follower", step, idle_seconds=0.01, outages=outages)
    with caplog.at_level(logging.WARNING):
        loop.start()
        try:
            while runs.runs < 5:
                await runs.next_run()
        finally:
            await loop.stop()
    assert outages.absorbed == 3
    assert [r.getMessage() for r in caplog.records] == ["follower failed; retrying"], "only the bug is logged here"
