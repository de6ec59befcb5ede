"""Stats in SQL: the Performances view summed up as it is written (``SummedPerformances``) and read back
(``SqlPerformanceStats``), the same code on SQLite and PostgreSQL.

Summing every performance on each question costs seconds at a million rows, so the view's writer keeps
``stats_counts``: per UTC month and for all time, songs sung per song, artist, singer, hour and show, and
the totals (sung, no-shows, wait). It is written in the transaction that writes the view's rows, from the
difference of the affected shows' rows before and after, so the sums always agree with the rows, once per
event on any number of instances. A window reads the sums of 'all' (when it holds every performance) or of
the whole months inside it, and the rows themselves for the part of a month at either end.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from core.projections import Performance, Recorded, SingerAnonymized, Unrecorded
from core.stats import (
    ArtistCount,
    HourCount,
    SingerCount,
    SongCount,
    Stats,
    Window,
    average_wait,
    no_show_rate,
)
from storage.projections import SqlPerformances
from storage.tables import performances, stats_counts

ALL = "all"
SUNG, NO_SHOW = "sung", "no-show"
SONG, ARTIST, SINGER, HOUR, SHOW, TOTAL = "song", "artist", "singer", "hour", "show", "total"
_COUNTED = (SUNG, NO_SHOW)

Key = tuple[str, str, str]
Sums = dict[Key, list[int]]  # (period, dimension, key) -> [sung, no_shows, wait_seconds]


def month_of(moment: datetime) -> str:
    """The period a performance started in: its UTC month, ``YYYY-MM``."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def year_of(moment: datetime) -> str:
    """The yearly period a performance started in: its UTC year, ``YYYY``."""
    return moment.astimezone(UTC).strftime("%Y")


def _singer_key(person_id: str | None, singer_id: str) -> str:
    # As core.stats.singer_key.
    return f"p:{person_id}" if person_id is not None else f"s:{singer_id}"


def show_key(show_id: str) -> str:
    """A show in the sums: its id as 32 hex digits, as SQLite stores it and PostgreSQL can spell it."""
    return uuid.UUID(str(show_id)).hex


def sums_of(rows: Iterable[Any]) -> Sums:
    """What ``rows`` (performances: show_id, singer_id, person_id, song_id, artist, started_at, outcome,
    wait_seconds) add to ``stats_counts``."""
    sums: Sums = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        periods = (ALL, year_of(row.started_at), month_of(row.started_at))
        if row.outcome == NO_SHOW:
            for period in periods:
                sums[(period, TOTAL, "")][1] += 1
            continue
        if row.outcome != SUNG:
            continue
        keys = ((SONG, row.song_id), (ARTIST, row.artist), (SINGER, _singer_key(row.person_id, row.singer_id)),
                (HOUR, f"{row.started_at.astimezone(UTC).hour:02d}"), (SHOW, show_key(row.show_id)), (TOTAL, ""))
        for period in periods:
            for dimension, key in keys:
                counts = sums[(period, dimension, key)]
                counts[0] += 1
                counts[2] += row.wait_seconds
    return dict(sums)


_SUMMED_COLUMNS = (performances.c.show_id, performances.c.singer_id, performances.c.person_id,
                   performances.c.song_id, performances.c.artist, performances.c.started_at,
                   performances.c.outcome, performances.c.wait_seconds)


def _show_of(change: object) -> str:
    if isinstance(change, Recorded):
        return change.performance.show_id
    if isinstance(change, Unrecorded | SingerAnonymized):
        return change.show_id
    raise TypeError(f"not a performances change: {change!r}")


class SummedPerformances:
    """The Performances view's table for ``SqlProjectionStore``: writes the rows through ``view`` and keeps
    ``stats_counts`` in step, in the same transaction."""

    def __init__(self, engine: AsyncEngine, view: SqlPerformances) -> None:
        """Write the rows through ``view`` (on ``engine``'s database)."""
        self._view = view
        self._dialect: Any = postgresql if engine.dialect.name == "postgresql" else sqlite

    async def _sums(self, conn: AsyncConnection, show_ids: Sequence[str]) -> Sums:
        if not show_ids:
            return {}
        rows = (await conn.execute(select(*_SUMMED_COLUMNS).where(
            performances.c.show_id.in_(list(show_ids)), performances.c.outcome.in_(_COUNTED)))).all()
        return sums_of(rows)

    async def write(self, conn: AsyncConnection, changes: Sequence[object]) -> None:
        shows = sorted({_show_of(change) for change in changes})
        before = await self._sums(conn, shows)
        await self._view.write(conn, changes)
        await self._add(conn, await self._sums(conn, shows), before)

    async def clear(self, conn: AsyncConnection) -> None:
        await self._view.clear(conn)
        await conn.execute(delete(stats_counts))

    async def clear_shows(self, conn: AsyncConnection, show_ids: Sequence[str]) -> None:
        before = await self._sums(conn, sorted(show_ids))
        await self._view.clear_shows(conn, show_ids)
        await self._add(conn, {}, before)

    async def _add(self, conn: AsyncConnection, after: Sums, before: Sums) -> None:
        """Add ``after - before`` to the sums; rows that fall to nothing go."""
        changed: list[dict[str, Any]] = []
        emptied: list[Key] = []
        for key in sorted(after.keys() | before.keys()):  # one order everywhere: concurrent claims never deadlock
            new, old = after.get(key, (0, 0, 0)), before.get(key, (0, 0, 0))
            delta = [n - o for n, o in zip(new, old, strict=True)]
            if any(delta):
                changed.append({"period": key[0], "dimension": key[1], "key": key[2], "sung": delta[0],
                                "no_shows": delta[1], "wait_seconds": delta[2]})
                if delta[0] < 0 or delta[1] < 0:
                    emptied.append(key)
        if not changed:
            return
        statement = self._dialect.insert(stats_counts)
        await conn.execute(statement.on_conflict_do_update(
            index_elements=["period", "dimension", "key"],
            set_={column: stats_counts.c[column] + statement.excluded[column]
                  for column in ("sung", "no_shows", "wait_seconds")},
        ), changed)
        if emptied:
            await conn.execute(delete(stats_counts).where(
                tuple_(stats_counts.c.period, stats_counts.c.dimension, stats_counts.c.key).in_(emptied),
                stats_counts.c.sung <= 0, stats_counts.c.no_shows <= 0))


def _month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(moment: datetime) -> datetime:
    start = _month_start(moment)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def plan(window: Window, first: datetime, last: datetime) -> tuple[list[str], list[tuple[datetime, datetime]]]:
    """How to read ``window`` when the performances started from ``first`` to ``last``: the periods whose sums
    it holds whole (all time, else whole years and months), and the ranges ``[start, end)`` to read from the rows."""
    start = first if window.start is None or window.start < first else window.start
    end = last + timedelta(microseconds=1) if window.end is None or window.end > last else window.end
    if start >= end:
        return [], []
    if start == first and end > last:
        return [ALL], []
    whole_from = start if start == _month_start(start) else _next_month(start)
    whole_to = _month_start(end)
    if whole_from >= whole_to:
        return [], [(start, end)]
    periods: list[str] = []
    at = whole_from
    while at < whole_to:
        next_year = at.replace(year=at.year + 1)
        if at.month == 1 and next_year <= whole_to:
            periods.append(year_of(at))
            at = next_year
        else:
            periods.append(month_of(at))
            at = _next_month(at)
    ranges = [(a, b) for a, b in ((start, whole_from), (whole_to, end)) if a < b]
    return periods, ranges


class SqlPerformanceStats:
    """Implements ``core.stats.PerformanceStats`` on the Performances view and its sums."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._postgres = engine.dialect.name == "postgresql"
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def _ordered(self, column: Any) -> Any:
        # Ties go by the key in code point order, as Python's (and SQLite's) strings compare.
        return column.collate("C") if self._postgres else column

    def _hour(self) -> ColumnElement[str]:
        if self._postgres:
            return func.to_char(func.timezone("UTC", performances.c.started_at), "HH24")
        return func.strftime("%H", performances.c.started_at)

    def _show(self) -> ColumnElement[str]:
        if self._postgres:
            return func.replace(cast(performances.c.show_id, String), "-", "")
        return cast(performances.c.show_id, String)

    def _raw(self, ranges: list[tuple[datetime, datetime]]) -> list[Any]:
        """The rows' sums over ``ranges``, one select per dimension, shaped as ``stats_counts``."""
        p = performances.c
        inside = or_(*(and_(p.started_at >= a, p.started_at < b) for a, b in ranges))
        sung = p.outcome == SUNG
        ones = func.sum(case((sung, 1), else_=0))
        waits = func.sum(case((sung, p.wait_seconds), else_=0))
        no_shows = func.sum(case((p.outcome == NO_SHOW, 1), else_=0))
        singer = case((p.person_id.is_not(None), literal("p:") + p.person_id), else_=literal("s:") + p.singer_id)
        keyed: list[tuple[str, Any]] = [(SONG, p.song_id), (ARTIST, p.artist), (SINGER, singer),
                                        (HOUR, self._hour()), (SHOW, self._show())]
        parts = [
            select(literal(dimension).label("dimension"), key.label("key"), ones.label("sung"),
                   literal(0).label("no_shows"), waits.label("wait_seconds"))
            .where(inside, sung).group_by(key)
            for dimension, key in keyed
        ]
        parts.append(select(literal(TOTAL).label("dimension"), literal("").label("key"), ones.label("sung"),
                            no_shows.label("no_shows"), waits.label("wait_seconds"))
                     .where(inside, p.outcome.in_(_COUNTED)))
        return parts

    async def summary(self, window: Window, *, top: int = 10) -> Stats:
        async with self._autocommit.connect() as conn:
            extent = (await conn.execute(select(func.min(performances.c.started_at),
                                                func.max(performances.c.started_at)))).one()
            if extent[0] is None:
                return _empty(window)
            periods, ranges = plan(window, _utc(extent[0]), _utc(extent[1]))
            if not periods and not ranges:
                return _empty(window)
            if len(periods) == 1 and not ranges:
                return await self._one_period(conn, window, periods[0], top)
            c = stats_counts.c
            parts: list[Any] = []
            if periods:
                parts.append(select(c.dimension, c.key, c.sung, c.no_shows, c.wait_seconds)
                             .where(c.period.in_(periods)))
            if ranges:
                parts += self._raw(ranges)
            every = union_all(*parts).subquery("every") if len(parts) > 1 else parts[0].subquery("every")
            summed = (select(every.c.dimension, every.c.key, func.sum(every.c.sung).label("sung"),
                             func.sum(every.c.no_shows).label("no_shows"),
                             func.sum(every.c.wait_seconds).label("wait_seconds"))
                      .group_by(every.c.dimension, every.c.key).subquery("summed"))
            ranked = select(
                summed,
                func.row_number().over(partition_by=summed.c.dimension,
                                       order_by=(summed.c.sung.desc(), self._ordered(summed.c.key))).label("place"),
                func.count().over(partition_by=summed.c.dimension).label("spread"),
            ).where(or_(summed.c.sung > 0, summed.c.dimension == TOTAL)).subquery("ranked")
            rows = (await conn.execute(select(ranked).where(
                or_(ranked.c.place <= top, ranked.c.dimension.in_((HOUR, TOTAL)))))).all()
            by: dict[str, list[Any]] = defaultdict(list)
            for row in rows:
                by[row.dimension].append(row)
            for found in by.values():
                found.sort(key=lambda r: r.place)
            keys = {dimension: int(found[0].spread) for dimension, found in by.items() if found}
            total = by[TOTAL][0] if by[TOTAL] else None
            sung = int(total.sung or 0) if total is not None else 0
            no_shows = int(total.no_shows or 0) if total is not None else 0
            wait = int(total.wait_seconds or 0) if total is not None else 0
            songs = await self._song_names(conn, [r.key for r in by[SONG]])
            singers = await self._singer_names(conn, [r.key for r in by[SINGER]])
        return Stats(
            window=window,
            shows=keys.get(SHOW, 0),
            performances=sung,
            singers=keys.get(SINGER, 0),
            no_shows=no_shows,
            top_songs=tuple(SongCount(r.key, *songs[r.key], int(r.sung)) for r in by[SONG]),
            top_artists=tuple(ArtistCount(r.key, int(r.sung)) for r in by[ARTIST]),
            top_singers=tuple(SingerCount(singers[r.key], int(r.sung)) for r in by[SINGER]),
            busiest_hours=tuple(HourCount(int(r.key), int(r.sung)) for r in by[HOUR]),
            average_wait_seconds=average_wait(wait, sung),
            no_show_rate=no_show_rate(no_shows, sung),
        )

    async def _one_period(self, conn: AsyncConnection, window: Window, period: str, top: int) -> Stats:
        """A window one period's sums hold whole (all time, a year, a month): each top list read off the index."""
        c = stats_counts.c
        by: dict[str, list[Any]] = {}
        for dimension in (SONG, ARTIST, SINGER):
            by[dimension] = list((await conn.execute(
                select(c.key, c.sung).where(c.period == period, c.dimension == dimension)
                .order_by(c.sung.desc(), self._ordered(c.key)).limit(top))).all())
        by[HOUR] = list((await conn.execute(
            select(c.key, c.sung).where(c.period == period, c.dimension == HOUR)
            .order_by(c.sung.desc(), c.key))).all())
        total = (await conn.execute(select(c.sung, c.no_shows, c.wait_seconds).where(
            c.period == period, c.dimension == TOTAL, c.key == ""))).first()
        spread = {r.dimension: int(r.n) for r in (await conn.execute(
            select(c.dimension, func.count().label("n")).where(c.period == period, c.dimension.in_((SINGER, SHOW)))
            .group_by(c.dimension))).all()}
        sung = int(total.sung) if total is not None else 0
        no_shows = int(total.no_shows) if total is not None else 0
        songs = await self._song_names(conn, [r.key for r in by[SONG]])
        singers = await self._singer_names(conn, [r.key for r in by[SINGER]])
        return Stats(
            window=window, shows=spread.get(SHOW, 0), performances=sung, singers=spread.get(SINGER, 0),
            no_shows=no_shows,
            top_songs=tuple(SongCount(r.key, *songs[r.key], int(r.sung)) for r in by[SONG]),
            top_artists=tuple(ArtistCount(r.key, int(r.sung)) for r in by[ARTIST]),
            top_singers=tuple(SingerCount(singers[r.key], int(r.sung)) for r in by[SINGER]),
            busiest_hours=tuple(HourCount(int(r.key), int(r.sung)) for r in by[HOUR]),
            average_wait_seconds=average_wait(int(total.wait_seconds) if total is not None else 0, sung),
            no_show_rate=no_show_rate(no_shows, sung),
        )

    async def _song_names(self, conn: AsyncConnection, song_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Each song's title and artist as it was last sung."""
        p = performances.c
        names: dict[str, tuple[str, str]] = {}
        for song_id in song_ids:
            row = (await conn.execute(
                select(p.title, p.artist).where(p.song_id == song_id, p.outcome == SUNG)
                .order_by(p.started_at.desc(), p.show_id.desc(), p.ordinal.desc()).limit(1))).one()
            names[song_id] = (row.title, row.artist)
        return names

    async def _singer_names(self, conn: AsyncConnection, keys: Sequence[str]) -> dict[str, str]:
        """Each singer's name as they last sang."""
        p = performances.c
        names: dict[str, str] = {}
        for key in keys:
            kind, _, value = key.partition(":")
            whose = p.person_id == value if kind == "p" else and_(p.person_id.is_(None), p.singer_id == value)
            names[key] = (await conn.execute(
                select(p.singer_name).where(whose, p.outcome == SUNG)
                .order_by(p.started_at.desc(), p.show_id.desc(), p.ordinal.desc()).limit(1))).scalar_one()
        return names

    async def top_songs(self, *, show_id: str | None = None, limit: int = 5) -> list[SongCount]:
        async with self._autocommit.connect() as conn:
            if show_id is None:
                c = stats_counts.c
                query = (select(c.key.label("song_id"), c.sung.label("times"))
                         .where(c.period == ALL, c.dimension == SONG)
                         .order_by(c.sung.desc(), self._ordered(c.key)).limit(limit))
            else:
                p = performances.c
                count = func.count().label("times")
                query = (select(p.song_id, count).where(p.show_id == show_id, p.outcome == SUNG)
                         .group_by(p.song_id).order_by(count.desc(), self._ordered(p.song_id)).limit(limit))
            rows = (await conn.execute(query)).all()
            names = await self._song_names(conn, [r.song_id for r in rows])
        return [SongCount(r.song_id, *names[r.song_id], int(r.times)) for r in rows]

    async def popularity(self, limit: int) -> dict[str, int]:
        c = stats_counts.c
        query = (select(c.key, c.sung).where(c.period == ALL, c.dimension == SONG)
                 .order_by(c.sung.desc(), self._ordered(c.key)).limit(limit))
        async with self._autocommit.connect() as conn:
            return {str(r.key): int(r.sung) for r in (await conn.execute(query)).all()}

    def _theirs(self, person_id: str, except_show: str | None) -> list[ColumnElement[bool]]:
        p = performances.c
        where = [p.person_id == person_id, p.outcome == SUNG]
        if except_show is not None:
            where.append(p.show_id != except_show)
        return where

    async def sung_by(self, person_id: str, *, except_show: str | None, limit: int) -> list[Performance]:
        p = performances.c
        latest = (select(performances, func.row_number().over(
            partition_by=p.song_id, order_by=(p.finished_at.desc(), p.show_id.desc(), p.ordinal.desc()),
        ).label("nth")).where(*self._theirs(person_id, except_show)).subquery("latest"))
        query = (select(*(latest.c[column.name] for column in performances.c)).where(latest.c.nth == 1)
                 .order_by(latest.c.finished_at.desc(), latest.c.show_id.desc(), latest.c.ordinal.desc())
                 .limit(limit))
        async with self._autocommit.connect() as conn:
            return [_performance(r) for r in (await conn.execute(query)).all()]

    async def sung_recently(self, person_id: str, *, except_show: str | None, limit: int) -> list[Performance]:
        p = performances.c
        query = (select(performances).where(*self._theirs(person_id, except_show))
                 .order_by(p.finished_at.desc(), p.show_id.desc(), p.ordinal.desc()).limit(limit))
        async with self._autocommit.connect() as conn:
            return [_performance(r) for r in (await conn.execute(query)).all()]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _performance(row: Any) -> Performance:
    values = {column.name: getattr(row, column.name) for column in performances.c}
    values["show_id"] = str(values["show_id"])
    return Performance(**values)


def _empty(window: Window) -> Stats:
    return Stats(window=window, shows=0, performances=0, singers=0, no_shows=0, top_songs=(), top_artists=(),
                 top_singers=(), busiest_hours=(), average_wait_seconds=None, no_show_rate=None)
