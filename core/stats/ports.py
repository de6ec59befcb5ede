"""The query port the stats are read through: the Performances view summed up (``storage.stats`` in SQL)."""

from __future__ import annotations

from typing import Protocol

from core.projections import Performance
from core.stats.model import SongCount, Stats, Window


class PerformanceStats(Protocol):
    """Counts over the performances of every show (the Performances projection), for the stats API and page,
    ``/top``, a person's own past nights, and search's sense of what is popular here."""

    async def summary(self, window: Window, *, top: int = 10) -> Stats:
        """The stats of the performances started in ``window`` (see ``Stats``), top lists at most ``top`` long."""
        ...

    async def top_songs(self, *, show_id: str | None = None, limit: int = 5) -> list[SongCount]:
        """The songs sung most, in ``show_id`` or (None) in every show; ranked as in ``Stats.top_songs``."""
        ...

    async def popularity(self, limit: int) -> dict[str, int]:
        """song_id → times sung, for the ``limit`` songs sung most (ties by song id)."""
        ...

    async def sung_by(self, person_id: str, *, except_show: str | None, limit: int) -> list[Performance]:
        """The person's songs sung outside ``except_show``, each once (its latest performance), the most
        recently finished first."""
        ...

    async def sung_recently(self, person_id: str, *, except_show: str | None, limit: int) -> list[Performance]:
        """The person's sung performances outside ``except_show``, the most recently finished first."""
        ...
