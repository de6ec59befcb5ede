"""Time as a port, so the domain never reads the wall clock itself."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the current time."""

    def now(self) -> datetime:
        """The current moment as a timezone-aware UTC datetime."""
        ...
