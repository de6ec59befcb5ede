"""``SqlPickHistory``: what this deployment's singers requested, counted from the show event log."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.tables import show_events

_REQUESTED = "SongRequested"


class SqlPickHistory:
    """Implements ``core.catalog.search.PickHistory`` on the ``show_events`` table (SQLite and PostgreSQL).

    Every ``SongRequested`` event of every show counts once for its song, withdrawn or sung alike: a
    singer chose that version.  The song id is read from the JSON payload with SQLAlchemy's JSON path
    operators, ``->>`` on PostgreSQL and ``json_extract`` on SQLite.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def pick_counts(self) -> dict[str, int]:
        """song_id → how many times singers requested it; songs never requested are absent."""
        song_id = show_events.c.payload["song_id"].as_string()
        query = (
            select(song_id.label("song_id"), func.count().label("picks"))
            .where(show_events.c.type == _REQUESTED)
            .group_by(song_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {str(row.song_id): int(row.picks) for row in rows if row.song_id is not None}
