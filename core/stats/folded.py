"""``FoldedStats``: the stats computed from the shows' logs through the rotation, with no view: for a process
without a database (the unit tests' chat, the console) and a few shows, never a deployment's history."""

from __future__ import annotations

from core.projections import Performance, performances_of
from core.rotation import NotFound, RotationService
from core.stats import summary
from core.stats.model import SongCount, Stats, Window

_SHOWS_PAGE = 200


class FoldedStats:
    """Implements ``PerformanceStats`` by folding every show's log on each question."""

    def __init__(self, rotation: RotationService) -> None:
        """Read the shows' logs through ``rotation``."""
        self._rotation = rotation

    async def _rows(self) -> list[Performance]:
        rows: list[Performance] = []
        page = 1
        while True:
            shows = await self._rotation.list_shows(page=page, limit=_SHOWS_PAGE)
            for show in shows.items:
                rows += await self._of_show(show.show_id)
            if page * _SHOWS_PAGE >= shows.total:
                return rows
            page += 1

    async def _of_show(self, show_id: str) -> list[Performance]:
        try:
            return performances_of(show_id, await self._rotation.log(show_id))
        except NotFound:
            return []

    async def summary(self, window: Window, *, top: int = 10) -> Stats:
        """See ``PerformanceStats.summary``."""
        return summary.summarize(await self._rows(), window, top=top)

    async def top_songs(self, *, show_id: str | None = None, limit: int = 5) -> list[SongCount]:
        """See ``PerformanceStats.top_songs``."""
        return summary.top_songs(await self._rows(), show_id=show_id, limit=limit)

    async def popularity(self, limit: int) -> dict[str, int]:
        """See ``PerformanceStats.popularity``."""
        counts = summary.popularity(await self._rows())
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit])

    async def sung_by(self, person_id: str, *, except_show: str | None, limit: int) -> list[Performance]:
        """See ``PerformanceStats.sung_by``."""
        return summary.sung_by(await self._rows(), person_id, except_show=except_show, limit=limit)

    async def sung_recently(self, person_id: str, *, except_show: str | None, limit: int) -> list[Performance]:
        """See ``PerformanceStats.sung_recently``."""
        return summary.sung_recently(await self._rows(), person_id, except_show=except_show, limit=limit)
