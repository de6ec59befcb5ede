"""``ApschedulerScheduler``: the ``core.clock.Scheduler`` port on APScheduler 3.11's asyncio scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler


class ApschedulerScheduler:
    """Interval jobs on the running event loop; a job still running when its next run is due skips it."""

    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._stopping = False

    def every(self, seconds: float, job: Callable[[], Awaitable[None]], *, name: str) -> None:
        """Run ``job`` every ``seconds``; runs missed while the loop was busy collapse into one."""

        async def run() -> None:
            try:
                await job()
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                # APScheduler cancels a run in progress when it shuts down, and would log that as the job's
                # failure, with a traceback. It is none: what the run had claimed is leased, and done later.

        self._scheduler.add_job(run, "interval", seconds=seconds, id=name, name=name, max_instances=1,
                                coalesce=True, misfire_grace_time=None, replace_existing=True)

    def start(self) -> None:
        """Begin running the jobs (needs a running event loop)."""
        if not self._scheduler.running:
            self._scheduler.start()

    def stop(self) -> None:
        """Stop; a run in progress is cancelled (quietly: jobs lease what they claim, so nothing is lost)."""
        if self._scheduler.running:
            self._stopping = True
            self._scheduler.shutdown(wait=False)
