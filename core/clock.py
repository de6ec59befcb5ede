"""Time as ports, so neither the domain nor storage ever reads a clock itself.

The composition root passes the real ones in; tests pass clocks that move only when told to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the current time."""

    def now(self) -> datetime:
        """The current moment as a timezone-aware UTC datetime."""
        ...


class Sleeper(Protocol):
    """Waits (``asyncio.sleep`` in production, a recorder in tests)."""

    async def sleep(self, seconds: float) -> None:
        """Return after about ``seconds``."""
        ...


Monotonic = Callable[[], float]
"""Seconds from an arbitrary start that never go backwards (``time.monotonic`` in production)."""


class Scheduler(Protocol):
    """Runs jobs on a timetable (APScheduler in production)."""

    def every(self, seconds: float, job: Callable[[], Awaitable[None]], *, name: str) -> None:
        """Run ``job`` every ``seconds`` from ``start()`` on; a run still going makes the next one skip."""
        ...

    def start(self) -> None:
        """Begin running the jobs."""
        ...

    def stop(self) -> None:
        """Stop running them (a run in progress finishes on its own)."""
        ...
