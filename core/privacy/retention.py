"""How long the service keeps what it only needed while a show ran, and the sweep that lets it go.

What goes (per show, once it has been closed ``retention`` ago): its reminders (notices), its button
choices, its KJ roles, its room bindings and people's pointers to it. The delivery records carry no
show, so they go ``retention`` after they were done with: handled inbox updates, sent or failed outbox
messages (unhandled and unsent ones are work still to do and stay). Choices go once expired that long.

What stays: the show and its event log — the night's history (anonymous once someone asked to be
forgotten, see ``core.privacy.erasure``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from core.clock import Clock

logger = logging.getLogger(__name__)

DEFAULT_RETENTION = timedelta(days=30)


class RetentionStore(Protocol):
    """Deletes what the retention rules say is no longer kept."""

    async def sweep(self, cutoff: datetime) -> Mapping[str, int]:
        """Remove the transient rows of shows closed before ``cutoff`` and delivery records done before it.

        Returns how many rows went, by what they were (``"notices"``, ``"inbox"``...). Safe to run in
        several instances at once: one sweeps, the others find nothing (or wait) and report zeros.
        """
        ...


class RetentionSweeper:
    """Runs the store's sweep with the cutoff ``retention`` before the clock's now, and says what went."""

    def __init__(self, store: RetentionStore, clock: Clock, retention: timedelta = DEFAULT_RETENTION) -> None:
        """``retention`` must be positive: a show's transient rows are needed while it runs."""
        if retention <= timedelta(0):
            raise ValueError("retention must be positive")
        self._store = store
        self._clock = clock
        self.retention = retention

    async def sweep(self) -> dict[str, int]:
        """One sweep; logs one INFO line with the counts when anything was removed."""
        cutoff = self._clock.now() - self.retention
        counts = dict(await self._store.sweep(cutoff))
        removed = sum(counts.values())
        report = ", ".join(f"{count} {what}" for what, count in sorted(counts.items()))
        if removed:
            logger.info("retention sweep (kept %d days) removed %s", self.retention.days, report)
        else:
            logger.debug("retention sweep found nothing older than %d days", self.retention.days)
        return counts

    async def step(self) -> bool:
        """A ``Repeat`` step: sweep, then rest until the next period (never busy)."""
        await self.sweep()
        return False
