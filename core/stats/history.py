"""``ProjectedSongHistory``: ``/again``'s earlier nights read from the Performances view, not the shows' logs."""

from __future__ import annotations

from collections.abc import Sequence

from core.people import PastSong, PersonRecord
from core.rotation import SongRef
from core.stats.ports import PerformanceStats


class ProjectedSongHistory:
    """Implements ``core.people.SongHistory`` by the person's performances in the view: one indexed read
    however many nights they sang, where the log-reading history folded up to a few dozen shows.

    A performance counts for the person the log knew at the time: songs sung before two accounts were linked,
    in a show already closed then, stay with the account's former person."""

    def __init__(self, stats: PerformanceStats) -> None:
        """Read through ``stats``."""
        self._stats = stats

    async def sung_by(self, person: PersonRecord, except_show: str | None, limit: int) -> Sequence[PastSong]:
        """Distinct songs the person sang in other shows, the most recently sung first."""
        rows = await self._stats.sung_by(person.person_id, except_show=except_show, limit=limit)
        return [PastSong(SongRef(p.song_id, p.title, p.artist, p.duration), p.finished_at) for p in rows]
