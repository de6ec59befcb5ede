"""``Repeat``: one step run again and again in a task of its own, between ``start()`` and ``stop()``.

The service's background parts (the inbox worker, the dispatcher, the search index's follower, the
reminders' follower) are each a step that says whether it found work. After work the step runs
again at once; idle, it waits for its wake-up event or ``idle_seconds``, whichever comes first. A
step that fails is logged and retried after the idle wait, so a database hiccup never ends a loop.

``Alarm``: the same for work that comes due with time (reminders): its step says when the next
work is due, and it sleeps until then, a wake-up or the safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from core.clock import Clock

logger = logging.getLogger(__name__)


class Repeat:
    """Runs ``step`` over and over; ``wake`` (set by whoever has new work) cuts an idle wait short."""

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[bool]],
        *,
        idle_seconds: float | None,
        wake: asyncio.Event | None = None,
    ) -> None:
        """``step`` answers True when it found work; ``idle_seconds`` None waits for ``wake`` alone."""
        if idle_seconds is None and wake is None:
            raise ValueError("an idle Repeat needs a wake-up event or a time to look again")
        self.name = name
        self._step = step
        self._idle = idle_seconds
        self._wake = wake
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the loop is started and has not ended."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Run the loop in a task of its own (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        """Cancel the loop and wait until it has ended."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """The loop itself, until cancelled."""
        while True:
            if self._wake is not None:
                # Cleared before the step: work that arrives while it runs wakes the next wait at once.
                self._wake.clear()
            try:
                busy = await self._step()
            except Exception:
                logger.warning("%s failed; retrying", self.name, exc_info=True)
                busy = False
            if not busy:
                await self._rest()

    async def _rest(self) -> None:
        if self._wake is None:
            assert self._idle is not None
            await asyncio.sleep(self._idle)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._idle)


class Alarm:
    """Runs ``step`` when what it looks after comes due: at the time the last run named, when woken, or
    after ``safety_seconds`` (the safety net), whichever comes first.

    ``step`` does the work that is due and answers when the next work comes due (None: nothing is
    waiting). A step that fails is logged and tried again after the safety net.
    """

    SOONEST = 0.05  # never run back to back faster than this, whatever the step says

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[datetime | None]],
        clock: Clock,
        *,
        wake: asyncio.Event | None = None,
        safety_seconds: float,
    ) -> None:
        """``wake`` (or ``wake_for``) is how whoever stored new work tells the loop to look again."""
        self.name = name
        self._step = step
        self._clock = clock
        self._wake = wake if wake is not None else asyncio.Event()
        self._safety = safety_seconds
        self._task: asyncio.Task[None] | None = None
        self._next_at: datetime | None = None

    def start(self) -> None:
        """Run the loop in a task of its own (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        """Cancel the loop and wait until it has ended."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """The loop itself, until cancelled."""
        while True:
            # Cleared before the step: work announced while it runs wakes the next wait at once.
            self._wake.clear()
            wait = self._safety
            try:
                due = await self._step()
            except Exception:
                logger.warning("%s failed; retrying", self.name, exc_info=True)
            else:
                if due is not None:
                    wait = min(wait, max(self.SOONEST, (due - self._clock.now()).total_seconds()))
            self._next_at = self._clock.now() + timedelta(seconds=wait)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            self._next_at = None

    def wake_for(self, due: datetime | None) -> None:
        """Work comes due at ``due`` (None: maybe now): wake the loop unless it runs by then anyway."""
        next_at = self._next_at
        if due is None or next_at is None or due < next_at:
            self._wake.set()
