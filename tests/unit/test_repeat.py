"""``Repeat``: work runs again at once, an idle loop waits for its wake-up, a failure never ends it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from core.repeat import Alarm, Repeat
from tests.unit.fakes import FakeClock


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


class Due:
    """An alarm's step: counts its runs and names the next due time the test sets."""

    def __init__(self, clock: FakeClock, next_in: float | None, fail: int = 0) -> None:
        self.clock, self.next_in, self.fail, self.runs = clock, next_in, fail, 0
        self.ran = asyncio.Event()

    async def __call__(self) -> datetime | None:
        self.runs += 1
        self.ran.set()
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the database hiccuped")
        return None if self.next_in is None else self.clock.now() + timedelta(seconds=self.next_in)

    async def next_run(self, within: float = 5.0) -> None:
        self.ran.clear()
        await asyncio.wait_for(self.ran.wait(), within)


async def run_alarm(alarm: Alarm) -> AsyncIterator[None]:
    alarm.start()
    try:
        yield
    finally:
        await alarm.stop()


async def test_an_alarm_runs_again_when_its_step_says_the_next_work_is_due() -> None:
    step = Due(FakeClock(), next_in=0.2)
    alarm = Alarm("test", step, step.clock, wake=asyncio.Event(), safety_seconds=3600)
    async for _ in run_alarm(alarm):
        await step.next_run()
        await asyncio.sleep(0.1)
        assert step.runs == 1, "not due yet"
        await step.next_run(within=1.0)
        assert step.runs == 2


@pytest.mark.parametrize("next_in", [None, 3600.0])
async def test_an_alarm_with_nothing_due_soon_waits_for_a_wake_up(next_in: float | None) -> None:
    wake = asyncio.Event()
    step = Due(FakeClock(), next_in=next_in)
    alarm = Alarm("test", step, step.clock, wake=wake, safety_seconds=3600)
    async for _ in run_alarm(alarm):
        await step.next_run()
        await asyncio.sleep(0.1)
        assert step.runs == 1
        wake.set()  # another instance stored a notice
        await step.next_run(within=1.0)
        assert step.runs == 2


async def test_an_alarm_waits_at_most_its_safety_net_and_retries_a_failed_step(
    caplog: pytest.LogCaptureFixture,
) -> None:
    step = Due(FakeClock(), next_in=None, fail=1)
    alarm = Alarm("flaky-alarm", step, step.clock, wake=asyncio.Event(), safety_seconds=0.05)
    with caplog.at_level(logging.WARNING):
        async for _ in run_alarm(alarm):
            while step.runs < 3:
                await step.next_run()
    assert [r.getMessage() for r in caplog.records] == ["flaky-alarm failed; retrying"]


async def test_an_alarm_whose_work_is_overdue_does_not_spin() -> None:
    step = Due(FakeClock(), next_in=-60)
    alarm = Alarm("test", step, step.clock, wake=asyncio.Event(), safety_seconds=3600)
    async for _ in run_alarm(alarm):
        await asyncio.sleep(0.3)
    assert 2 <= step.runs <= 0.3 / Alarm.SOONEST + 1


async def test_an_alarm_is_woken_only_by_work_due_before_its_next_run() -> None:
    clock = FakeClock()
    step = Due(clock, next_in=3600)
    alarm = Alarm("test", step, clock, safety_seconds=7200)
    async for _ in run_alarm(alarm):
        await step.next_run()
        alarm.wake_for(clock.now() + timedelta(hours=2))  # after its next run anyway
        await asyncio.sleep(0.1)
        assert step.runs == 1
        alarm.wake_for(clock.now() + timedelta(minutes=5))  # sooner: it looks again now
        await step.next_run(within=1.0)
        alarm.wake_for(None)  # a failure to report: due whenever
        await step.next_run(within=1.0)
        assert step.runs == 3


@pytest.mark.parametrize("idle", [None, 30.0], ids=["woken only", "with an idle limit"])
async def test_stopping_as_the_wake_up_comes_still_stops(idle: float | None) -> None:
    # The wake set, then the cancel, in one go: the waiting ends with a result and a cancel at the same moment.
    # asyncio.wait_for on Python 3.11 returned the result and dropped the cancel, so the loop went on and stop()
    # waited for it forever (a test hung CI this way).
    wake = asyncio.Event()
    steps = Steps()
    repeat = Repeat("test", steps, idle_seconds=idle, wake=wake)
    repeat.start()
    await steps.next_run()
    await asyncio.sleep(0)  # into its wait
    runs = steps.runs
    wake.set()
    async with asyncio.timeout(5) as waited:
        await repeat.stop()
    assert not waited.expired(), "stop() returned only when its caller gave up"
    assert steps.runs == runs, "the loop went on after it was cancelled"
