"""Stats over the shows' history, read from the Performances projection (``core.projections``).

- ``model``: a ``Window`` of time and the ``Stats`` of it (shows, songs sung, singers, the top songs,
  artists and singers, the busiest hours, the average wait and the no-show rate).
- ``ports``: ``PerformanceStats``, the query port (``storage.stats.SqlPerformanceStats`` in SQL).
- ``summary``: the same numbers computed from rows in memory, which the database's answers are held to.
- ``folded``: ``FoldedStats``, the port answered from the shows' logs, for a process without a database.
- ``history``: ``ProjectedSongHistory``, ``/again``'s earlier nights read through the port.
"""

from core.stats.folded import FoldedStats
from core.stats.history import ProjectedSongHistory
from core.stats.model import (
    ALL_TIME,
    ArtistCount,
    BadWindow,
    HourCount,
    SingerCount,
    SongCount,
    Stats,
    Window,
    average_wait,
    no_show_rate,
    window_from_text,
)
from core.stats.ports import PerformanceStats
from core.stats.summary import singer_key, summarize

__all__ = [
    "ALL_TIME",
    "ArtistCount",
    "BadWindow",
    "FoldedStats",
    "HourCount",
    "PerformanceStats",
    "ProjectedSongHistory",
    "SingerCount",
    "SongCount",
    "Stats",
    "Window",
    "average_wait",
    "no_show_rate",
    "singer_key",
    "summarize",
    "window_from_text",
]
