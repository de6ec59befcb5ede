"""``SqlPickHistory``: what this deployment's singers chose, counted from the show event log."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.tables import show_events


class SqlPickHistory:
    """Implements ``core.catalog.search.PickHistory`` on the ``show_events`` table (SQLite and PostgreSQL).

    Every ``SongRequested`` event of every show counts once for its song, unless its singer withdrew
    that request: a request the search queued without asking and the singer took back must not make
    the same version come first again.  A request the KJ removed, or that was sung, still counts.
    Song and request ids are read from the JSON payloads with SQLAlchemy's JSON path operators
    (``->>`` on PostgreSQL, ``json_extract`` on SQLite).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def pick_counts(self) -> dict[str, int]:
        """song_id → how many requests singers made for it and kept; songs never requested are absent."""
        requested = show_events.alias("requested")
        withdrawn = show_events.alias("withdrawn")
        song_id = requested.c.payload["song_id"].as_string()
        taken_back = exists().where(
            withdrawn.c.show_id == requested.c.show_id,
            withdrawn.c.type == "RequestWithdrawn",
            withdrawn.c.payload["request_id"].as_string() == requested.c.payload["request_id"].as_string(),
            withdrawn.c.payload["by_kj"].as_boolean().is_(False),
        )
        query = (
            select(song_id.label("song_id"), func.count().label("picks"))
            .where(requested.c.type == "SongRequested", ~taken_back)
            .group_by(song_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {str(row.song_id): int(row.picks) for row in rows if row.song_id is not None}
