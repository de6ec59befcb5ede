"""The scheduler adapter on the real APScheduler: a run still going when the service stops ends quietly."""

from __future__ import annotations

import asyncio
import logging

import pytest

from karaoke.scheduler import ApschedulerScheduler


async def test_a_run_in_progress_when_the_scheduler_stops_is_cancelled_without_a_traceback_in_the_log(
        caplog: pytest.LogCaptureFixture) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(60)  # a statement on its way when the service stops
        except asyncio.CancelledError:
            cancelled.set()
            raise

    scheduler = ApschedulerScheduler()
    scheduler.every(0.01, slow, name="slow")
    with caplog.at_level(logging.INFO):
        scheduler.start()
        await asyncio.wait_for(started.wait(), 5)
        scheduler.stop()
        await asyncio.wait_for(cancelled.wait(), 5)
        for _ in range(5):
            await asyncio.sleep(0)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info], caplog.text


async def test_a_job_that_fails_is_still_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    failed = asyncio.Event()

    async def broken() -> None:
        failed.set()
        raise RuntimeError("boom")

    scheduler = ApschedulerScheduler()
    scheduler.every(0.01, broken, name="broken")
    scheduler.start()
    try:
        await asyncio.wait_for(failed.wait(), 5)
        for _ in range(5):
            await asyncio.sleep(0)
    finally:
        scheduler.stop()
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)
