"""Reading the performances: caught up with the show first, or computed from the log when there is no view.

``CaughtUpPerformances`` is what the service reads through: before answering for one show it has the runner
apply what is new in that show's stream, so a page refetching on the show's change sees the change even when
the background has not got to it yet (read your writes). If the projection fails on that show, the reader
gets what the view holds and the failure goes its usual way (back-off, the log, ``/readyz``).

``FoldedPerformances`` computes the same rows from each show's log through the rotation, with no view: for a
process without a database (the unit tests' chat, the console) and as the oracle the view is held to.
"""

from __future__ import annotations

from core.projections.performances import PERFORMANCES, Performance, PerformanceLog, PerformanceRows, performances_of
from core.projections.runner import ProjectionRunner
from core.rotation import NotFound, RotationService
from core.rotation.joincode import normalize_join_code

_SHOWS_PAGE = 200


class CaughtUpPerformances:
    """Implements ``PerformanceLog`` over a view, catching the show up before reading it."""

    def __init__(self, view: PerformanceLog, runner: ProjectionRunner) -> None:
        """Read ``view``; ``runner`` applies what is new first."""
        self._view = view
        self._runner = runner

    async def of_show(self, show_id: str) -> list[Performance]:
        """The show's performances, with every event stored before the call applied (unless the projection fails)."""
        await self._runner.catch_up(PERFORMANCES, show_id)
        return await self._view.of_show(show_id)

    async def of_person(self, person_id: str, *, limit: int = 100) -> list[Performance]:
        """As the view has them (it follows every show within moments)."""
        return await self._view.of_person(person_id, limit=limit)

    async def show_with_code(self, code: str) -> str | None:
        """See ``PerformanceLog.show_with_code``."""
        return await self._view.show_with_code(code)


class FoldedPerformances:
    """Implements ``PerformanceLog`` from the shows' logs through ``RotationService``: every question folds the
    shows it is about, so it suits a few shows, not a deployment's history."""

    def __init__(self, rotation: RotationService) -> None:
        """Read the logs through ``rotation``."""
        self._rotation = rotation

    async def of_show(self, show_id: str) -> list[Performance]:
        """The projection applied to the show's whole log."""
        try:
            events = await self._rotation.log(show_id)
        except NotFound:
            return []
        return performances_of(show_id, events)

    async def of_person(self, person_id: str, *, limit: int = 100) -> list[Performance]:
        """Every show folded."""
        rows = PerformanceRows()
        page = 1
        while True:
            shows = await self._rotation.list_shows(page=page, limit=_SHOWS_PAGE)
            for show in shows.items:
                for performance in await self.of_show(show.show_id):
                    rows.rows[(performance.show_id, performance.ordinal)] = performance
            if page * _SHOWS_PAGE >= shows.total:
                return rows.of_person(person_id, limit)
            page += 1

    async def show_with_code(self, code: str) -> str | None:
        """The open show with the code, else the most recently opened one that had it."""
        found = await self._rotation.find_show(code)
        if found is not None:
            return found
        wanted = normalize_join_code(code)
        page = 1
        while True:
            shows = await self._rotation.list_shows(page=page, limit=_SHOWS_PAGE)
            for show in shows.items:  # newest first
                if show.code == wanted:
                    return show.show_id
            if page * _SHOWS_PAGE >= shows.total:
                return None
            page += 1
