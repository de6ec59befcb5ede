"""Projections in SQL: checkpoints claimed under a lock (``SqlProjectionStore``) and the Performances view
(``SqlPerformances``, its table writer and query port), the same code on SQLite and PostgreSQL.

Exactly once across instances: a claim is one transaction that holds the show's checkpoint row locked
(``FOR UPDATE`` on PostgreSQL; SQLite has one writer, and a claim begins with a write) while the events are
read, the view written and the checkpoint moved. A second claimer waits, then reads the moved checkpoint and
finds nothing left. Claims hold their projection's row ``FOR KEY SHARE``; a reset (a rebuild) holds it
``FOR UPDATE``, so it waits for the claims in progress and no claim starts until it has cleared the view.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import and_, case, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.projections import (
    PERFORMANCES,
    Performance,
    Progress,
    Recorded,
    SingerAnonymized,
    Unrecorded,
    VersionMismatch,
)
from core.rotation import StoredEvent, event_from_dict
from core.rotation.joincode import normalize_join_code
from storage.tables import performances, projection_positions, projections, show_events, shows


class ProjectionTable(Protocol):
    """What the store needs of one view's tables: write its changes, clear them for a rebuild."""

    async def write(self, conn: AsyncConnection, changes: Sequence[object]) -> None:
        """Apply ``changes`` (the projection's own values) inside the claim's transaction."""
        ...

    async def clear(self, conn: AsyncConnection) -> None:
        """Delete every row of the view."""
        ...

    async def clear_shows(self, conn: AsyncConnection, show_ids: Sequence[str]) -> None:
        """Delete the view's rows of these shows."""
        ...


class _SqlClaim:
    """Implements ``core.projections.Claim`` on an open transaction."""

    def __init__(self, conn: AsyncConnection, table: ProjectionTable, name: str, show_id: str, position: int) -> None:
        self._conn = conn
        self._table = table
        self._name = name
        self._show_id = show_id
        self.position = position

    async def events(self, after: int, until: int) -> list[StoredEvent]:
        rows = (await self._conn.execute(
            select(show_events.c.seq, show_events.c.type, show_events.c.payload, show_events.c.command_id)
            .where(show_events.c.show_id == self._show_id, show_events.c.seq > after, show_events.c.seq <= until)
            .order_by(show_events.c.seq)
        )).all()
        return [StoredEvent(r.seq, event_from_dict(r.type, r.payload), r.command_id) for r in rows]

    async def save(self, changes: Sequence[object], position: int) -> None:
        await self._table.write(self._conn, changes)
        await self._conn.execute(
            update(projection_positions)
            .where(projection_positions.c.projection == self._name, projection_positions.c.show_id == self._show_id)
            .values(seq=position)
        )
        self.position = position


class SqlProjectionStore:
    """Implements ``core.projections.ProjectionStore`` for the views in ``tables`` (by projection name)."""

    def __init__(self, engine: AsyncEngine, tables: Mapping[str, ProjectionTable]) -> None:
        self._engine = engine
        self._tables = dict(tables)
        self._postgres = engine.dialect.name == "postgresql"
        self._dialect: Any = postgresql if self._postgres else sqlite
        # SQLite has one writer: claims take turns in this process rather than in SQLite's busy wait.
        self._turn: Any = contextlib.nullcontext() if self._postgres else asyncio.Lock()
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def _table(self, name: str) -> ProjectionTable:
        table = self._tables.get(name)
        if table is None:
            raise KeyError(f"no tables for the projection {name!r}")
        return table

    async def _registered(self, conn: AsyncConnection, name: str, version: int, *, exclusive: bool) -> int:
        """The version ``name`` is registered at (registering ``version`` when it is not), its row locked."""
        await conn.execute(self._dialect.insert(projections).values(name=name, version=version)
                           .on_conflict_do_nothing(index_elements=["name"]))
        query = select(projections.c.version).where(projections.c.name == name)
        if self._postgres:
            query = query.with_for_update() if exclusive else query.with_for_update(key_share=True, read=True)
        return int((await conn.execute(query)).scalar_one())

    async def _clear(self, conn: AsyncConnection, name: str, version: int) -> None:
        await self._table(name).clear(conn)
        await conn.execute(delete(projection_positions).where(projection_positions.c.projection == name))
        await conn.execute(update(projections).where(projections.c.name == name).values(version=version))

    async def prepare(self, name: str, version: int) -> str:
        self._table(name)
        async with self._turn, self._engine.begin() as conn:
            stored = await self._registered(conn, name, version, exclusive=True)
            if stored == version:
                return "current"
            if stored > version:
                return "newer"
            await self._clear(conn, name, version)
            return "rebuilt"

    async def reset(self, name: str, version: int) -> None:
        self._table(name)
        async with self._turn, self._engine.begin() as conn:
            await self._registered(conn, name, version, exclusive=True)
            await self._clear(conn, name, version)

    async def restart_shows(self, conn: AsyncConnection, show_ids: Sequence[str]) -> None:
        """Inside the caller's transaction, which rewrote these shows' events (an erasure): every view forgets
        the shows and applies their streams again from the first event, so nothing of what was rewritten
        survives in a view, and each runner folds the rewritten stream afresh (its copy is ahead of seq 0).

        Moving the checkpoints first waits for the claims of these shows in progress and holds off new ones
        until the caller commits."""
        if not show_ids:
            return
        await conn.execute(update(projection_positions).where(projection_positions.c.show_id.in_(list(show_ids)))
                           .values(seq=0))
        for table in self._tables.values():
            await table.clear_shows(conn, show_ids)

    def _progress_query(self, name: str) -> Any:
        joined = shows.outerjoin(projection_positions, and_(
            projection_positions.c.projection == name, projection_positions.c.show_id == shows.c.show_id))
        return select(shows.c.show_id, shows.c.version,
                      func.coalesce(projection_positions.c.seq, literal(0)).label("position")).select_from(joined)

    async def behind(self, name: str, *, after: str | None = None, limit: int = 500) -> list[Progress]:
        query = self._progress_query(name).where(
            func.coalesce(projection_positions.c.seq, literal(0)) < shows.c.version)
        if after is not None:
            query = query.where(shows.c.show_id > after)
        async with self._autocommit.connect() as conn:
            rows = (await conn.execute(query.order_by(shows.c.show_id).limit(limit))).all()
        return [Progress(str(r.show_id), int(r.position), int(r.version)) for r in rows]

    async def progress(self, name: str, show_id: str) -> Progress | None:
        async with self._autocommit.connect() as conn:
            row = (await conn.execute(self._progress_query(name).where(shows.c.show_id == show_id))).first()
        return Progress(str(row.show_id), int(row.position), int(row.version)) if row is not None else None

    @contextlib.asynccontextmanager
    async def claim(self, name: str, version: int, show_id: str) -> AsyncIterator[_SqlClaim]:
        table = self._table(name)
        registered = select(projections.c.version).where(projections.c.name == name)
        if self._postgres:
            registered = registered.with_for_update(key_share=True, read=True)
        # One statement makes the checkpoint if it is new and locks it either way: an upsert waits for whoever
        # holds the row and answers its latest committed seq.
        inserting = self._dialect.insert(projection_positions).values(projection=name, show_id=show_id, seq=0)
        locking = inserting.on_conflict_do_update(
            index_elements=["projection", "show_id"], set_={"seq": projection_positions.c.seq},
        ).returning(projection_positions.c.seq)
        async with self._turn, self._engine.begin() as conn:
            if self._postgres:
                # Shared first: a reset in progress is waited for before this claim looks at anything.
                stored = (await conn.execute(registered)).scalar()
            position = int((await conn.execute(locking)).scalar_one())
            if not self._postgres:
                # After the write above: this transaction is SQLite's one writer from here on.
                stored = (await conn.execute(registered)).scalar()
            if stored != version:
                # Not registered (a reset is the only way back) or registered at another version.
                raise VersionMismatch(name, stored, version)
            yield _SqlClaim(conn, table, name, show_id, position)


# Join codes are stored in ``shows.code``, eight characters at most: a longer one is no show's.
_CODE_LENGTH = 8

_PERFORMANCE_COLUMNS = (
    "show_id", "ordinal", "request_id", "singer_id", "person_id", "singer_name", "song_id", "title", "artist",
    "duration", "requested_at", "started_at", "finished_at", "outcome", "wait_seconds", "seq",
)


def _values(p: Performance) -> dict[str, Any]:
    return {column: getattr(p, column) for column in _PERFORMANCE_COLUMNS}


def _performance(row: Any) -> Performance:
    values = {column: getattr(row, column) for column in _PERFORMANCE_COLUMNS}
    values["show_id"] = str(values["show_id"])
    return Performance(**values)


class SqlPerformances:
    """The Performances view: its ``ProjectionTable`` (for ``SqlProjectionStore``) and its query port
    (``core.projections.PerformanceLog``, reading the view as it stands)."""

    name = PERFORMANCES

    def __init__(self, engine: AsyncEngine) -> None:
        self._postgres = engine.dialect.name == "postgresql"
        self._dialect: Any = postgresql if self._postgres else sqlite
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def write(self, conn: AsyncConnection, changes: Sequence[object]) -> None:
        recorded: dict[tuple[str, int], dict[str, Any]] = {}
        for change in changes:
            if isinstance(change, Recorded):
                p = change.performance
                recorded[(p.show_id, p.ordinal)] = _values(p)  # a later row for the same place wins
                continue
            # Rows recorded before a deletion or renaming must be there for it: write them first.
            await self._upsert(conn, list(recorded.values()))
            recorded = {}
            if isinstance(change, Unrecorded):
                await conn.execute(delete(performances).where(
                    performances.c.show_id == change.show_id, performances.c.ordinal > change.ordinal))
            elif isinstance(change, SingerAnonymized):
                await conn.execute(update(performances).where(
                    performances.c.show_id == change.show_id, performances.c.singer_id == change.singer_id,
                ).values(singer_name=change.name, person_id=None))
            else:
                raise TypeError(f"not a performances change: {change!r}")
        await self._upsert(conn, list(recorded.values()))

    async def _upsert(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        statement = self._dialect.insert(performances)
        kept = {c: statement.excluded[c] for c in _PERFORMANCE_COLUMNS if c not in ("show_id", "ordinal")}
        await conn.execute(statement.on_conflict_do_update(index_elements=["show_id", "ordinal"], set_=kept), rows)

    async def clear(self, conn: AsyncConnection) -> None:
        await conn.execute(delete(performances))

    async def clear_shows(self, conn: AsyncConnection, show_ids: Sequence[str]) -> None:
        await conn.execute(delete(performances).where(performances.c.show_id.in_(list(show_ids))))

    async def of_show(self, show_id: str) -> list[Performance]:
        query = select(performances).where(performances.c.show_id == show_id).order_by(performances.c.ordinal)
        async with self._autocommit.connect() as conn:
            return [_performance(r) for r in (await conn.execute(query)).all()]

    async def of_person(self, person_id: str, *, limit: int = 100) -> list[Performance]:
        query = (select(performances).where(performances.c.person_id == person_id)
                 .order_by(performances.c.started_at.desc(), performances.c.show_id.desc(),
                           performances.c.ordinal.desc())
                 .limit(limit))
        async with self._autocommit.connect() as conn:
            return [_performance(r) for r in (await conn.execute(query)).all()]

    async def show_with_code(self, code: str) -> str | None:
        wanted = normalize_join_code(code)
        if not wanted or len(wanted) > _CODE_LENGTH:
            return None
        query = (select(shows.c.show_id).where(shows.c.code == wanted)
                 .order_by(case((shows.c.status == "open", 0), else_=1), shows.c.created_at.desc(),
                           shows.c.show_id.desc())
                 .limit(1))
        async with self._autocommit.connect() as conn:
            found = (await conn.execute(query)).scalar()
        return str(found) if found is not None else None

