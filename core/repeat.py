"""``Repeat``: one step run again and again in a task of its own, between ``start()`` and ``stop()``.

The service's background parts (the inbox worker, the dispatcher, the search index's follower, the
reminders' follower) are each a step that says whether it found work. After work the step runs
again at once; idle, it waits for its wake-up event or ``idle_seconds``, whichever comes first. A
step that fails is logged and retried after at most ``RETRY_SECONDS``, so a database hiccup never ends a loop.
A failure that ``Outages`` recognises as an outage of what the service stands on (its database) is
not logged by the loop: the outage is logged once, where it is recognised, not once per tick.

``Alarm``: the same for work that comes due with time (reminders): its step says when the next
work is due, and it sleeps until then, a wake-up or the safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol

from core.clock import Clock

logger = logging.getLogger(__name__)

# A failed step (the database away, a hiccup) is tried again this soon, however long the idle wait or safety
# net is: a loop that only wakes on announcements must not sit out an outage's end for the whole safety net.
RETRY_SECONDS = 1.0


class Outages(Protocol):
    """Tells an outage of the service's database apart from other failures (the composition root
    hands in one that knows the driver's errors)."""

    def absorbs(self, error: BaseException) -> bool:
        """Whether ``error`` comes from an outage. If it does, the outage is noted, its start and its end
        are logged once each, and the caller logs nothing more about it."""
        ...


class NoOutages:
    """Knows of no outages: every failure is the caller's to log."""

    def absorbs(self, error: BaseException) -> bool:
        """Never."""
        return False


class _Loop:
    """A named loop run in a task of its own between ``start()`` and ``stop()``; ``run`` is the loop."""

    name: str
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the loop in a task of its own (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        """Cancel the loop and wait until it has ended."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                # The loop's own end. Whoever is stopping it may have been cancelled meanwhile: that goes on up.
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise

    async def run(self) -> None:
        """The loop itself, until cancelled."""
        raise NotImplementedError


class Repeat(_Loop):
    """Runs ``step`` over and over; ``wake`` (set by whoever has new work) cuts an idle wait short."""

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[bool]],
        *,
        idle_seconds: float | None,
        wake: asyncio.Event | None = None,
        outages: Outages | None = None,
    ) -> None:
        """``step`` answers True when it found work; ``idle_seconds`` None waits for ``wake`` alone.

        A failure that ``outages`` absorbs is retried like any other, without a traceback per try.
        """
        if idle_seconds is None and wake is None:
            raise ValueError("an idle Repeat needs a wake-up event or a time to look again")
        self.name = name
        self._step = step
        self._idle = idle_seconds
        self._wake = wake
        self._outages: Outages = outages or NoOutages()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the loop is started and has not ended."""
        return self._task is not None and not self._task.done()

    async def run(self) -> None:
        """The loop itself, until cancelled."""
        while True:
            if self._wake is not None:
                # Cleared before the step: work that arrives while it runs wakes the next wait at once.
                self._wake.clear()
            failed = False
            try:
                busy = await self._step()
            except Exception as error:
                if not self._outages.absorbs(error):
                    logger.warning("%s failed; retrying", self.name, exc_info=True)
                busy, failed = False, True
            if not busy:
                await self._rest(RETRY_SECONDS if failed else None)

    async def _rest(self, at_most: float | None = None) -> None:
        idle = self._idle if at_most is None else min(at_most, self._idle or at_most)
        if self._wake is None:
            assert idle is not None
            await asyncio.sleep(idle)
            return
        # Not ``asyncio.wait_for``: on Python 3.11 it swallows a cancel that arrives as the wake comes (it returns
        # the wait's result instead), so ``stop`` could wait forever for a loop that went on.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(idle):
                await self._wake.wait()


class Alarm(_Loop):
    """Runs ``step`` when what it looks after comes due: at the time the last run named, when woken, or
    after ``safety_seconds`` (the safety net), whichever comes first.

    ``step`` does the work that is due and answers when the next work comes due (None: nothing is
    waiting). A step that fails is logged and tried again after at most ``RETRY_SECONDS``.
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
        outages: Outages | None = None,
    ) -> None:
        """``wake`` (or ``wake_for``) is how whoever stored new work tells the loop to look again; a failure
        that ``outages`` absorbs is retried like any other, without a traceback per try."""
        self.name = name
        self._outages: Outages = outages or NoOutages()
        self._step = step
        self._clock = clock
        self._wake = wake if wake is not None else asyncio.Event()
        self._safety = safety_seconds
        self._task: asyncio.Task[None] | None = None
        self._next_at: datetime | None = None

    async def run(self) -> None:
        """The loop itself, until cancelled."""
        while True:
            # Cleared before the step: work announced while it runs wakes the next wait at once.
            self._wake.clear()
            wait = self._safety
            try:
                due = await self._step()
            except Exception as error:
                if not self._outages.absorbs(error):
                    logger.warning("%s failed; retrying", self.name, exc_info=True)
                wait = min(wait, RETRY_SECONDS)
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
