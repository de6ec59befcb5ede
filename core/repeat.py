"""``Repeat``: one step run again and again in a task of its own, between ``start()`` and ``stop()``.

The service's background parts (the inbox worker, the dispatcher, the search index's follower, the
reminders' follower) are each a step that says whether it found work. After work the step runs
again at once; idle, it waits for its wake-up event or ``idle_seconds``, whichever comes first. A
step that fails is logged and retried after the idle wait, so a database hiccup never ends a loop.
A failure that ``Outages`` recognises as an outage of what the service stands on (its database) is
not logged by the loop: the outage is logged once, where it is recognised, not once per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

logger = logging.getLogger(__name__)


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


class Repeat:
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
            except Exception as error:
                if not self._outages.absorbs(error):
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
