"""``SqlSongStore``: the catalog on SQLAlchemy Core, identical on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from core.catalog import ExternalIdTaken, ImportMatch, MediaFile, Song, SongPage, SongQuery, match_key, sort_key
from core.clock import Clock
from core.wakeups import CATALOG
from storage.notify import Announcer
from storage.tables import catalog_changes, songs

_CHUNK = 500  # rows per statement: stays under SQLite's bound-parameter limit


def _row(song: Song) -> dict[str, Any]:
    return {
        "song_id": song.song_id,
        "title": song.title,
        "artist": song.artist,
        "title_key": sort_key(song.title),
        "artist_key": sort_key(song.artist),
        "match_key": match_key(song.title, song.artist),
        "duration": song.duration,
        "media_bucket": song.media_file.bucket if song.media_file else None,
        "media_key": song.media_file.key if song.media_file else None,
        "year": song.year,
        "language": song.language,
        "tags": list(song.tags),
        "duet": song.duet,
        "explicit": song.explicit,
        "external_id": song.external_id,
        "created_at": song.created_at,
        "updated_at": song.updated_at,
    }


def _song(row: Any) -> Song:
    media = MediaFile(row.media_bucket, row.media_key) if row.media_bucket is not None else None
    return Song(
        song_id=str(row.song_id),
        title=row.title,
        artist=row.artist,
        duration=row.duration,
        media_file=media,
        created_at=row.created_at,
        updated_at=row.updated_at,
        year=row.year,
        language=row.language,
        tags=tuple(row.tags or ()),
        duet=bool(row.duet),
        explicit=bool(row.explicit),
        external_id=row.external_id,
    )


_SORT_COLUMNS = {
    "title": songs.c.title_key,
    "artist": songs.c.artist_key,
    "created_at": songs.c.created_at,
    "updated_at": songs.c.updated_at,
    "duration": songs.c.duration,
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlSongStore:
    """Implements ``core.catalog_store.SongStore``. Every write also records a catalog change."""

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        """``clock`` stamps the catalog's change feed."""
        self._engine = engine
        self._clock = clock
        self._announce = Announcer(engine, None)
        self._binary = "C" if engine.dialect.name == "postgresql" else "BINARY"

    async def add(self, song: Song) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(songs).values(_row(song)))
                await self._record_changes(conn, [song.song_id])
        except IntegrityError as error:
            raise ExternalIdTaken(song.external_id or song.song_id) from error

    async def get(self, song_id: str) -> Song | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(songs).where(songs.c.song_id == song_id))).first()
        return _song(row) if row else None

    async def get_many(self, song_ids: Sequence[str]) -> list[Song]:
        """The songs among ``song_ids`` that exist, in no particular order."""
        found: list[Song] = []
        async with self._engine.connect() as conn:
            for start in range(0, len(song_ids), _CHUNK):
                chunk = list(song_ids[start : start + _CHUNK])
                rows = await conn.execute(select(songs).where(songs.c.song_id.in_(chunk)))
                found.extend(_song(row) for row in rows)
        return found

    async def replace(self, song: Song) -> bool:
        values = _row(song)
        values.pop("song_id")
        values.pop("created_at")
        try:
            async with self._engine.begin() as conn:
                result = await conn.execute(update(songs).where(songs.c.song_id == song.song_id).values(values))
                if result.rowcount:
                    await self._record_changes(conn, [song.song_id])
        except IntegrityError as error:
            raise ExternalIdTaken(song.external_id or song.song_id) from error
        return bool(result.rowcount)

    async def delete(self, song_id: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(songs).where(songs.c.song_id == song_id))
            if result.rowcount:
                await self._record_changes(conn, [song_id])
        return bool(result.rowcount)

    async def page(self, query: SongQuery) -> SongPage:
        condition = None
        if query.q:
            pattern = f"%{_escape_like(sort_key(query.q))}%"
            condition = or_(
                songs.c.title_key.like(pattern, escape="\\"), songs.c.artist_key.like(pattern, escape="\\")
            )
        column: ColumnElement[Any] = _SORT_COLUMNS[query.sort]
        if query.sort in ("title", "artist"):
            column = column.collate(self._binary)
        ordering = column.asc() if query.order == "asc" else column.desc()
        # Unknown durations sort last in either direction, the same on both databases.
        nulls = [songs.c.duration.is_(None).asc()] if query.sort == "duration" else []
        listing: Select[Any] = select(songs).order_by(*nulls, ordering, songs.c.song_id.asc())
        counting: Select[Any] = select(func.count()).select_from(songs)
        if condition is not None:
            listing = listing.where(condition)
            counting = counting.where(condition)
        listing = listing.limit(query.limit).offset((query.page - 1) * query.limit)
        async with self._engine.connect() as conn:
            total = (await conn.execute(counting)).scalar_one()
            rows = (await conn.execute(listing)).all()
        return SongPage(items=[_song(row) for row in rows], total=int(total))

    async def find_for_import(self, external_ids: Sequence[str], match_keys: Sequence[str]) -> list[ImportMatch]:
        matches: list[ImportMatch] = []
        async with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # The table grows fast during an import; a prepared statement's generic plan, made
                # while it was empty, would keep scanning it whole. Plan each lookup afresh.
                await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            for column, values in ((songs.c.external_id, external_ids), (songs.c.match_key, match_keys)):
                for start in range(0, len(values), _CHUNK):
                    chunk = list(values[start : start + _CHUNK])
                    rows = await conn.execute(select(songs).where(column.in_(chunk)))
                    matches.extend(ImportMatch(_song(row), row.match_key) for row in rows)
        return matches

    async def write_import(self, added: Sequence[Song], updated: Sequence[Song]) -> None:
        async with self._engine.begin() as conn:
            for start in range(0, len(added), _CHUNK):
                await conn.execute(insert(songs), [_row(s) for s in added[start : start + _CHUNK]])
            for song in updated:
                values = _row(song)
                values.pop("created_at")
                song_id = values.pop("song_id")
                await conn.execute(update(songs).where(songs.c.song_id == song_id).values(values))
            await self._record_changes(conn, [s.song_id for s in (*added, *updated)])

    async def all_songs(self, batch: int) -> AsyncIterator[list[Song]]:
        """Every song, ``batch`` rows at a time, streamed from one query (one snapshot), so the event loop keeps
        serving while a large catalog is read."""
        async with self._engine.connect() as conn:
            result = await conn.stream(select(songs).execution_options(yield_per=batch))
            async for rows in result.partitions():
                yield [_song(row) for row in rows]

    async def count(self) -> int:
        """How many songs the catalog holds."""
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(songs))).scalar_one())

    async def changes_since(self, seq: int, also: Sequence[int] = ()) -> list[tuple[int, str]]:
        """Catalog changes after ``seq`` (and those whose seq is in ``also``), oldest first, as (seq, song_id)."""
        condition = catalog_changes.c.seq > seq
        if also:
            condition = or_(condition, catalog_changes.c.seq.in_(list(also)[:_CHUNK]))
        query = (
            select(catalog_changes.c.seq, catalog_changes.c.song_id)
            .where(condition)
            .order_by(catalog_changes.c.seq)
            .limit(10_000)
        )
        async with self._engine.connect() as conn:
            return [(int(r.seq), str(r.song_id)) for r in await conn.execute(query)]

    async def last_change(self) -> int:
        """The newest change's sequence number, 0 when there has been none."""
        async with self._engine.connect() as conn:
            value = (await conn.execute(select(func.max(catalog_changes.c.seq)))).scalar()
        return int(value or 0)

    async def _record_changes(self, conn: AsyncConnection, song_ids: Sequence[str]) -> None:
        # Other instances' search indexes follow at commit (this one is told by ``CatalogService``).
        await self._announce.within(conn, CATALOG, "")
        now = self._clock.now()
        for start in range(0, len(song_ids), _CHUNK):
            await conn.execute(
                insert(catalog_changes),
                [{"song_id": sid, "changed_at": now} for sid in song_ids[start : start + _CHUNK]],
            )
