"""A hand-written fake of ``core.stats.PerformanceStats``: the Performances view in memory, summed on each question."""

from __future__ import annotations

from core.projections import Performance, PerformanceRows
from core.stats import SongCount, Stats, Window, summarize
from core.stats import summary as pure


class InMemoryPerformanceStats:
    """Implements ``PerformanceStats`` over the rows a ``PerformanceRows`` view holds."""

    def __init__(self, rows: PerformanceRows) -> None:
        self.rows = rows
        self.questions = 0

    def _all(self) -> list[Performance]:
        self.questions += 1
        return list(self.rows.rows.values())

    async def summary(self, window: Window, *, top: int = 10) -> Stats:
        return summarize(self._all(), window, top=top)

    async def top_songs(self, *, show_id: str | None = None, limit: int = 5) -> list[SongCount]:
        return pure.top_songs(self._all(), show_id=show_id, limit=limit)

    async def popularity(self, limit: int) -> dict[str, int]:
        counts = pure.popularity(self._all())
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit])

    async def sung_by(self, person_id: str, *, except_show: str | None, limit: int) -> list[Performance]:
        return pure.sung_by(self._all(), person_id, except_show=except_show, limit=limit)

    async def sung_recently(self, person_id: str, *, except_show: str | None, limit: int) -> list[Performance]:
        return pure.sung_recently(self._all(), person_id, except_show=except_show, limit=limit)
