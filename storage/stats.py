"""Stats in SQL: the Performances view summed up as it is written (``SummedPerformances``) and read back
(``SqlPerformanceStats``), the same code on SQLite and PostgreSQL.

Summing every performance on each question costs seconds at a million rows, so the view's writer keeps
``stats_counts``: per UTC month and for all time, songs sung per song, artist, singer, hour and show, and
the totals (sung, no-shows, wait). It is written in the transaction that writes the view's rows, from the
difference of the affected shows' rows before and after, so the sums always agree with the rows, once per
event on any number of instances. A window reads the sums of 'all' (when it holds every performance) or of
the whole years and months inside it, and the rows themselves for the part of a month at either end. Over
several periods, each top list starts from every period's own leaders (``_top``), so years of a busy
deployment are not summed key by key unless their counts are too flat to rank otherwise.
"""

from __future__ import annotations

import heapq
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    any_,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
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
RawSums = dict[str, dict[str, list[int]]]  # dimension -> key -> [sung, no_shows, wait_seconds]
_KEYS_PER_QUERY = 5_000  # bound parameters per statement (SQLite allows 32,766)


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
        periods_of_row = (ALL, year_of(row.started_at), month_of(row.started_at))
        if row.outcome == NO_SHOW:
            for period in periods_of_row:
                sums[(period, TOTAL, "")][1] += 1
            continue
        if row.outcome != SUNG:
            continue
        keys = ((SONG, row.song_id), (ARTIST, row.artist), (SINGER, _singer_key(row.person_id, row.singer_id)),
                (HOUR, f"{row.started_at.astimezone(UTC).hour:02d}"), (SHOW, show_key(row.show_id)), (TOTAL, ""))
        for period in periods_of_row:
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
    # Nothing started before the first performance or after the last: a month the window holds from the first
    # on (or up to the last) is whole as far as the sums go ("the last 30 days" reads one month's head).
    if start == first:
        whole_from = _month_start(start)
    else:
        whole_from = start if start == _month_start(start) else _next_month(start)
    whole_to = _next_month(last) if end > last else _month_start(end)
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

    def __init__(self, engine: AsyncEngine, *, leaders: int = 50) -> None:
        """Read ``engine``'s database; a window over several periods reads each one's first ``leaders`` keys
        before it sums every key (``_top``)."""
        self._leaders = leaders
        self._postgres = engine.dialect.name == "postgresql"
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a question. On PostgreSQL each statement is planned for its own values: a prepared
        statement's generic plan (taken after five runs) cannot know how many rows a list of periods or a
        range of days holds, and summed a 9-year window in a second instead of a tenth of that."""
        async with self._autocommit.connect() as conn:
            if self._postgres:
                await conn.execute(text("SET plan_cache_mode = force_custom_plan"))
            yield conn
            if self._postgres:
                await conn.execute(text("RESET plan_cache_mode"))

    def _among(self, column: Any, keys: list[str]) -> ColumnElement[bool]:
        """``column`` is one of ``keys``: one array on PostgreSQL (thousands of keys compile and bind as one
        value), a list elsewhere."""
        among: ColumnElement[bool] = (column == any_(literal(keys, ARRAY(String))) if self._postgres
                                      else column.in_(keys))
        return among

    def _ordered(self, column: Any) -> Any:
        # Ties go by the key in code point order, as Python's (and SQLite's) strings compare.
        return column.collate("C") if self._postgres else column

    def _hour(self, started_at: Any) -> ColumnElement[str]:
        if self._postgres:
            return func.to_char(func.timezone("UTC", started_at), "HH24")
        return func.strftime("%H", started_at)

    def _show(self, show_id: Any) -> ColumnElement[str]:
        if self._postgres:
            return func.replace(cast(show_id, String), "-", "")
        return cast(show_id, String)

    async def summary(self, window: Window, *, top: int = 10) -> Stats:
        async with self._connect() as conn:
            extent = (await conn.execute(select(func.min(performances.c.started_at),
                                                func.max(performances.c.started_at)))).one()
            if extent[0] is None:
                return _empty(window)
            periods, ranges = plan(window, _utc(extent[0]), _utc(extent[1]))
            if not periods and not ranges:
                return _empty(window)
            if len(periods) == 1 and not ranges:
                return await self._one_period(conn, window, periods[0], top)
            raw = await self._raw_sums(conn, ranges)
            tops = {dimension: await self._top(conn, dimension, periods, raw[dimension], top)
                    for dimension in (SONG, ARTIST)}
            if self._postgres and periods:
                tops[SINGER], singers = await self._every_key(conn, SINGER, periods, raw[SINGER], top)
            else:
                tops[SINGER] = await self._top(conn, SINGER, periods, raw[SINGER], top)
                singers = await self._spread(conn, SINGER, periods, raw[SINGER])
            shows = await self._spread(conn, SHOW, periods, raw[SHOW])
            small = await self._summed(conn, periods, (HOUR, TOTAL), raw)
            hours = sorted(((key, counts[0]) for key, counts in small[HOUR].items() if counts[0] > 0),
                           key=lambda item: (-item[1], item[0]))
            sung, no_shows, wait = small[TOTAL].get("", [0, 0, 0])
            songs = await self._song_names(conn, [key for key, _ in tops[SONG]])
            names = await self._singer_names(conn, [key for key, _ in tops[SINGER]])
        return Stats(
            window=window,
            shows=shows,
            performances=sung,
            singers=singers,
            no_shows=no_shows,
            top_songs=tuple(SongCount(key, *songs[key], n) for key, n in tops[SONG]),
            top_artists=tuple(ArtistCount(key, n) for key, n in tops[ARTIST]),
            top_singers=tuple(SingerCount(names[key], n) for key, n in tops[SINGER]),
            busiest_hours=tuple(HourCount(int(key), n) for key, n in hours),
            average_wait_seconds=average_wait(wait, sung),
            no_show_rate=no_show_rate(no_shows, sung),
        )

    def _raw(self, ranges: list[tuple[datetime, datetime]]) -> Any:
        """The rows' sums over ``ranges``, shaped as ``stats_counts``: the rows read once, then one group per
        dimension."""
        p = performances.c
        inside = or_(*(and_(p.started_at >= a, p.started_at < b) for a, b in ranges))
        rows = (select(p.show_id, p.singer_id, p.person_id, p.song_id, p.artist, p.started_at, p.outcome,
                       p.wait_seconds).where(inside, p.outcome.in_(_COUNTED)).cte("ends"))
        r = rows.c
        sung = r.outcome == SUNG
        ones = func.sum(case((sung, 1), else_=0))
        waits = func.sum(case((sung, r.wait_seconds), else_=0))
        no_shows = func.sum(case((r.outcome == NO_SHOW, 1), else_=0))
        singer = case((r.person_id.is_not(None), literal("p:") + r.person_id), else_=literal("s:") + r.singer_id)
        keyed: list[tuple[str, Any]] = [(SONG, r.song_id), (ARTIST, r.artist), (SINGER, singer),
                                        (HOUR, self._hour(r.started_at)), (SHOW, self._show(r.show_id))]
        parts = [
            select(literal(dimension).label("dimension"), key.label("key"), ones.label("sung"),
                   literal(0).label("no_shows"), waits.label("wait_seconds"))
            .where(sung).group_by(key)
            for dimension, key in keyed
        ]
        parts.append(select(literal(TOTAL).label("dimension"), literal("").label("key"), ones.label("sung"),
                            no_shows.label("no_shows"), waits.label("wait_seconds")).select_from(rows))
        return union_all(*parts)

    async def _raw_sums(self, conn: AsyncConnection, ranges: list[tuple[datetime, datetime]]) -> RawSums:
        """The rows' own sums over ``ranges`` (the parts of a month at a window's ends): dimension -> key ->
        [sung, no_shows, wait_seconds]."""
        raw: RawSums = {dimension: {} for dimension in (SONG, ARTIST, SINGER, HOUR, SHOW, TOTAL)}
        if ranges:
            for dimension, key, sung, no_shows, wait in (await conn.execute(self._raw(ranges))).all():
                if sung or no_shows:
                    raw[dimension][key] = [int(sung or 0), int(no_shows or 0), int(wait or 0)]
        return raw

    async def _summed(self, conn: AsyncConnection, periods: list[str], dimensions: tuple[str, ...],
                      raw: RawSums) -> RawSums:
        """The sums of the small dimensions (hours, the totals) over ``periods`` and the raw ranges."""
        summed: RawSums = {dimension: {key: list(counts) for key, counts in raw[dimension].items()}
                           for dimension in dimensions}
        if periods:
            c = stats_counts.c
            rows = (await conn.execute(
                select(c.dimension, c.key, func.sum(c.sung).label("sung"), func.sum(c.no_shows).label("no_shows"),
                       func.sum(c.wait_seconds).label("wait_seconds"))
                .where(c.period.in_(periods), c.dimension.in_(dimensions)).group_by(c.dimension, c.key))).all()
            for row in rows:
                counts = summed[row.dimension].setdefault(row.key, [0, 0, 0])
                counts[0] += int(row.sung)
                counts[1] += int(row.no_shows)
                counts[2] += int(row.wait_seconds)
        return summed

    async def _top(self, conn: AsyncConnection, dimension: str, periods: list[str], raw: dict[str, list[int]],
                   top: int) -> list[tuple[str, int]]:
        """The ``top`` keys of ``dimension`` by songs sung over ``periods`` and the raw ranges, ties by key.

        Summing every key of every period costs most of a second over years of a busy deployment, so this
        reads each period's own leaders first (Fagin's threshold algorithm): a key outside every period's
        first ``m`` sang at most the sum of the periods' ``m``-th counts (plus its most in the raw ranges).
        When the ``top``-th leader's exact sum beats that bound, nothing unread can reach the list; when it
        does not (flat counts), every key is summed after all."""
        c = stats_counts.c
        if not periods:
            return _ranked(((key, counts[0]) for key, counts in raw.items()), top)
        m = self._leaders
        leaders = [select(c.period, c.key, c.sung).where(c.period == period, c.dimension == dimension)
                   .order_by(c.sung.desc(), self._ordered(c.key)).limit(m).subquery() for period in periods]
        lists: dict[str, list[Any]] = defaultdict(list)
        for row in (await conn.execute(union_all(*(select(t) for t in leaders)))).all():
            lists[row.period].append(row)
        raw_leaders = heapq.nsmallest(m, ((-counts[0], key) for key, counts in raw.items() if counts[0] > 0))
        candidates = {row.key for rows in lists.values() for row in rows} | {key for _, key in raw_leaders}
        floors = {period: rows[-1].sung if len(rows) >= m else 0 for period, rows in lists.items()}
        bound = sum(floors.values()) + max((n[0] for key, n in raw.items() if key not in candidates), default=0)
        # What each candidate sang at least (where it is listed): when even the ``top``-th of those is far under
        # the bound, the counts are too flat for the leaders to settle it, and summing them would be wasted.
        least: dict[str, int] = {key: raw[key][0] if key in raw else 0 for key in candidates}
        for rows in lists.values():
            for row in rows:
                least[row.key] += row.sung
        known = sorted(least.values(), reverse=True)
        if bound == 0 or (len(known) >= top and 2 * known[top - 1] > bound):
            exact = await self._sums_of_keys(conn, dimension, periods, sorted(candidates))
            for key, counts in raw.items():
                if key in candidates:
                    exact[key] = exact.get(key, 0) + counts[0]
            ranked = _ranked(exact.items(), top)
            if bound == 0 or (len(ranked) == top and ranked[-1][1] > bound):
                return ranked
        # Every key summed: the periods' own first ``top`` (ties by key), then the keys the raw ranges lift
        # past the ``top``-th: any other key sang at most the periods' ``top``-th count plus its raw count.
        summed = func.sum(c.sung).label("sung")
        firsts = (await conn.execute(
            select(c.key, summed).where(c.period.in_(periods), c.dimension == dimension).group_by(c.key)
            .order_by(summed.desc(), self._ordered(c.key)).limit(top))).all()
        exact = {row.key: int(row.sung) + (raw[row.key][0] if row.key in raw else 0) for row in firsts}
        last = int(firsts[-1].sung) if len(firsts) == top else 0
        ranked = _ranked(exact.items(), top)
        line = ranked[-1][1] if len(ranked) == top else 0
        lifted = sorted(key for key, counts in raw.items() if key not in exact and last + counts[0] >= line)
        for key, n in (await self._sums_of_keys(conn, dimension, periods, lifted)).items():
            exact[key] = n
        for key in lifted:
            exact[key] = exact.get(key, 0) + raw[key][0]
        return _ranked(exact.items(), top)

    async def _every_key(self, conn: AsyncConnection, dimension: str, periods: list[str], raw: dict[str, list[int]],
                         top: int) -> tuple[list[tuple[str, int]], int]:
        """PostgreSQL: every key of ``dimension`` summed over ``periods`` and the raw ranges in one pass, for
        its ``top`` and how many keys sang. The singers are counted key by key anyway, so their top list
        comes with that count at no further cost."""
        c = stats_counts.c
        keys = sorted(key for key, counts in raw.items() if counts[0] > 0)
        rows = union_all(
            select(c.key.label("key"), c.sung.label("sung")).where(c.period.in_(periods), c.dimension == dimension),
            select(func.unnest(literal(keys, ARRAY(String))).label("key"),
                   func.unnest(literal([raw[key][0] for key in keys], ARRAY(Integer))).label("sung")),
        ).subquery("rows")
        summed = (select(rows.c.key, func.sum(rows.c.sung).label("sung")).group_by(rows.c.key)
                  .cte("summed"))
        spread = select(func.count()).select_from(summed).scalar_subquery()
        found = (await conn.execute(
            select(summed.c.key, summed.c.sung, spread.label("spread"))
            .order_by(summed.c.sung.desc(), self._ordered(summed.c.key)).limit(top))).all()
        return [(row.key, int(row.sung)) for row in found], int(found[0].spread) if found else 0

    async def _sums_of_keys(self, conn: AsyncConnection, dimension: str, periods: list[str],
                            keys: list[str]) -> dict[str, int]:
        """Each of ``keys``' songs sung over ``periods``."""
        c = stats_counts.c
        sums: dict[str, int] = {}
        for at in range(0, len(keys), _KEYS_PER_QUERY):
            rows = (await conn.execute(
                select(c.key, func.sum(c.sung).label("sung"))
                .where(c.period.in_(periods), c.dimension == dimension,
                       self._among(c.key, keys[at:at + _KEYS_PER_QUERY]))
                .group_by(c.key))).all()
            sums.update((row.key, int(row.sung)) for row in rows)
        return sums

    async def _spread(self, conn: AsyncConnection, dimension: str, periods: list[str],
                      raw: dict[str, list[int]]) -> int:
        """How many keys of ``dimension`` sang over ``periods`` and the raw ranges."""
        sang = sorted(key for key, counts in raw.items() if counts[0] > 0)
        if not periods:
            return len(sang)
        c = stats_counts.c
        inside = and_(c.period.in_(periods), c.dimension == dimension)  # a singer's or show's row is songs sung
        keys: Any = select(c.key).where(inside)
        if sang and self._postgres:
            keys = union(keys, select(func.unnest(literal(sang, ARRAY(String)))))
            return int((await conn.execute(select(func.count()).select_from(keys.subquery()))).scalar_one())
        count = int((await conn.execute(select(func.count()).select_from(keys.distinct().subquery()))).scalar_one())
        for at in range(0, len(sang), _KEYS_PER_QUERY):  # SQLite: the raw keys the sums do not hold yet
            some = sang[at:at + _KEYS_PER_QUERY]
            held = (await conn.execute(select(func.count(func.distinct(c.key))).where(inside, c.key.in_(some))))
            count += len(some) - int(held.scalar_one())
        return count

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
        async with self._connect() as conn:
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
        async with self._connect() as conn:
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
        async with self._connect() as conn:
            return [_performance(r) for r in (await conn.execute(query)).all()]

    async def sung_recently(self, person_id: str, *, except_show: str | None, limit: int) -> list[Performance]:
        p = performances.c
        query = (select(performances).where(*self._theirs(person_id, except_show))
                 .order_by(p.finished_at.desc(), p.show_id.desc(), p.ordinal.desc()).limit(limit))
        async with self._connect() as conn:
            return [_performance(r) for r in (await conn.execute(query)).all()]


def _ranked(counts: Iterable[tuple[str, int]], top: int) -> list[tuple[str, int]]:
    """The ``top`` keys that sang, the most first, ties by key in code point order."""
    return sorted(((key, n) for key, n in counts if n > 0), key=lambda item: (-item[1], item[0]))[:top]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _performance(row: Any) -> Performance:
    values = {column.name: getattr(row, column.name) for column in performances.c}
    values["show_id"] = str(values["show_id"])
    return Performance(**values)


def _empty(window: Window) -> Stats:
    return Stats(window=window, shows=0, performances=0, singers=0, no_shows=0, top_songs=(), top_artists=(),
                 top_singers=(), busiest_hours=(), average_wait_seconds=None, no_show_rate=None)
