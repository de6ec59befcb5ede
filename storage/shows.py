"""``SqlShowStore``: show event streams in one append-only table, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, true, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.rotation import (
    AppendResult,
    ConcurrencyConflict,
    Event,
    Notice,
    ShowPage,
    ShowSummary,
    StoredEvent,
    event_from_dict,
    event_to_dict,
    settings_from_dict,
    settings_to_dict,
)
from core.rotation.events import ShowClosed, ShowOpened, ShowSettingsChanged
from core.wakeups import NOTICES, SHOWS, Wakeups
from storage.notices import NOTICE_COLUMNS, by_rescheduling, insert_notices, on_conflict
from storage.notify import Announcer
from storage.tables import show_events, shows

logger = logging.getLogger(__name__)


# Built once: every update reads its show's new events, and a statement built per call costs its construction
# and its cache key each time (about 100 us of CPU per call on PostgreSQL).
_LOAD = (
    select(show_events.c.seq, show_events.c.type, show_events.c.payload, show_events.c.command_id)
    .where(show_events.c.show_id == bindparam("load_show"), show_events.c.seq > bindparam("load_after"))
    .order_by(show_events.c.seq)
)


class SqlShowStore:
    """Implements ``core.rotation.ShowStore``.

    An append updates ``shows.version`` from the expected version to the new one and inserts the
    batch in one transaction. A concurrent writer that got there first makes the update match no
    row (or, racing on the first append, trips a primary or unique key), which surfaces as
    ``ConcurrencyConflict``; the service then re-reads and re-decides.

    Every append announces the show's new version on ``SHOWS`` (and, when it stores pending notices,
    the show and when the first comes due on ``NOTICES``): live streams and every instance's
    reminders wake without polling.
    """

    def __init__(self, engine: AsyncEngine, wakeups: Wakeups | None = None) -> None:
        """``wakeups`` hears this store's announcements in-process (SQLite; PostgreSQL announces itself)."""
        self._engine = engine
        self._announce = Announcer(engine, wakeups)
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        # SQLite has one writer at a time; queueing writers here beats its busy-wait back-off,
        # which sleeps in growing steps and makes the slowest command wait for seconds.
        self._write_turn = asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        # Set whenever an append stores a notice that is due at once, so this process's ticker wakes.
        self.notices_due = asyncio.Event()

    async def load(self, show_id: str, after_seq: int = 0) -> tuple[list[StoredEvent], int]:
        # One statement needs no transaction: autocommit saves the BEGIN and ROLLBACK round trips.
        async with self._autocommit.connect() as conn:
            rows = (await conn.execute(_LOAD, {"load_show": show_id, "load_after": after_seq})).all()
        stored = [StoredEvent(r.seq, event_from_dict(r.type, r.payload), r.command_id) for r in rows]
        return stored, (stored[-1].seq if stored else after_seq)

    async def append(
        self,
        show_id: str,
        expected_version: int,
        events: Sequence[Event],
        command_id: str,
        notices: Sequence[Notice] = (),
    ) -> AppendResult:
        due_now = any(n.status == "pending" and n.due_at <= events[-1].occurred_at for n in notices)
        # A pending notice may come due before what every instance's reminders wait for now: say when.
        pending = [n.due_at for n in notices if n.status == "pending"]
        first_due = min(pending).isoformat() if pending else None
        result = await self._append(show_id, expected_version, events, command_id, notices, first_due)
        self._announce.after(SHOWS, show_id, str(result.last_seq))
        if due_now:
            self.notices_due.set()
        if first_due is not None:
            self._announce.after(NOTICES, show_id, first_due)
        return result

    async def _append(
        self,
        show_id: str,
        expected_version: int,
        events: Sequence[Event],
        command_id: str,
        notices: Sequence[Notice],
        first_due: str | None,
    ) -> AppendResult:
        if not events:
            raise ValueError("nothing to append")
        last = expected_version + len(events)
        rows: list[dict[str, Any]] = []
        for offset, event in enumerate(events):
            kind, payload = event_to_dict(event)
            rows.append(
                {
                    "show_id": show_id,
                    "seq": expected_version + 1 + offset,
                    "type": kind,
                    "payload": payload,
                    "command_id": command_id if offset == 0 else None,
                    "occurred_at": event.occurred_at,
                }
            )
        closed = next((e for e in events if isinstance(e, ShowClosed)), None)
        changed = next((e for e in reversed(events) if isinstance(e, ShowSettingsChanged)), None)
        settings = settings_to_dict(changed.settings) if changed is not None else None
        if expected_version > 0 and self._engine.dialect.name == "postgresql":
            await self._append_in_one_statement(show_id, expected_version, last, rows, closed, settings, notices,
                                                first_due)
            return AppendResult(first_seq=expected_version + 1, last_seq=last)
        try:
            async with self._write_turn, self._engine.begin() as conn:
                if expected_version == 0:
                    opened = events[0]
                    if not isinstance(opened, ShowOpened):
                        raise ValueError("a show's stream must start with ShowOpened")
                    await conn.execute(
                        insert(shows).values(
                            show_id=show_id,
                            code=opened.code,
                            name=opened.name,
                            status="open",
                            version=last,
                            created_at=opened.occurred_at,
                            settings=settings_to_dict(opened.settings),
                        )
                    )
                else:
                    moved = await conn.execute(
                        update(shows)
                        .where(shows.c.show_id == show_id, shows.c.version == expected_version)
                        .values(version=last)
                    )
                    if moved.rowcount != 1:
                        raise ConcurrencyConflict(f"show {show_id} moved past version {expected_version}")
                if closed is not None:
                    await conn.execute(
                        update(shows)
                        .where(shows.c.show_id == show_id)
                        .values(status="closed", closed_at=closed.occurred_at)
                    )
                if settings is not None:
                    await conn.execute(update(shows).where(shows.c.show_id == show_id).values(settings=settings))
                await conn.execute(insert(show_events), rows)
                await insert_notices(conn, notices, events[-1].occurred_at)
                await self._announce.within(conn, SHOWS, show_id, str(last))
                if first_due is not None:
                    await self._announce.within(conn, NOTICES, show_id, first_due)
        except IntegrityError as error:
            raise ConcurrencyConflict(f"show {show_id}: {error.orig.__class__.__name__}") from error
        except OperationalError as error:
            # SQLite answers a write race it cannot wait out with "database is locked".
            if "locked" not in str(error).lower():
                raise
            raise ConcurrencyConflict(f"show {show_id}: database busy") from error
        return AppendResult(first_seq=expected_version + 1, last_seq=last)

    async def _append_in_one_statement(
        self,
        show_id: str,
        expected: int,
        last: int,
        rows: list[dict[str, Any]],
        closed: ShowClosed | None,
        settings: dict[str, Any] | None,
        notices: Sequence[Notice],
        first_due: str | None,
    ) -> None:
        # One statement, one round trip, its own transaction: the version bump and the inserts
        # happen together or not at all, and a stale version inserts nothing. The announcements ride
        # on the version bump: made only when it happened, delivered when the statement commits.
        params: dict[str, Any] = {"show_id": show_id, "expected": expected, "last": last}
        values = []
        for i, row in enumerate(rows):
            values.append(
                f"(CAST(:seq{i} AS integer), CAST(:type{i} AS varchar), CAST(:payload{i} AS json),"
                f" CAST(:cid{i} AS varchar), CAST(:at{i} AS timestamptz))"
            )
            params |= {
                f"seq{i}": row["seq"], f"type{i}": row["type"], f"payload{i}": json.dumps(row["payload"]),
                f"cid{i}": row["command_id"], f"at{i}": row["occurred_at"],
            }
        closing = ""
        if closed is not None:
            closing = ", status = 'closed', closed_at = :closed_at"
            params["closed_at"] = closed.occurred_at
        if settings is not None:
            closing += ", settings = CAST(:settings AS json)"
            params["settings"] = json.dumps(settings)
        # Stored only if the version bump happened; a key already taken is treated as ``on_conflict`` says.
        noticing = ""
        if notices:
            params["noticed_at"] = rows[-1]["occurred_at"]
        for group_no, (reschedules, group) in enumerate(by_rescheduling(notices)):
            notice_values = []
            for i, notice in enumerate(group):
                p = f"n{group_no}_{i}_"
                notice_values.append(
                    f"(CAST(:{p}k AS varchar), CAST(:{p}r AS varchar), CAST(:{p}t AS varchar),"
                    f" CAST(:{p}s AS varchar), CAST(:{p}d AS timestamptz), CAST(:{p}x AS varchar))"
                )
                params |= {f"{p}k": notice.key, f"{p}r": notice.request_id, f"{p}t": notice.kind,
                           f"{p}s": notice.status, f"{p}d": notice.due_at, f"{p}x": notice.detail}
            noticing += (
                f", noticed{group_no} AS (INSERT INTO notices ({', '.join(NOTICE_COLUMNS)})"
                " SELECT n.key, CAST(bump.show_id AS varchar), n.request_id, n.kind, n.status, n.due, n.due, 0,"
                " n.detail, CAST(:noticed_at AS timestamptz),"
                " CASE WHEN n.status = 'pending' THEN NULL ELSE CAST(:noticed_at AS timestamptz) END"
                f" FROM bump, (VALUES {', '.join(notice_values)}) AS n(key, request_id, kind, status, due, detail)"
                f" {on_conflict(reschedules)})"
            )
        announced = self._announce.sql(SHOWS, "CAST(show_id AS text)", "CAST(version AS text)")
        if first_due is not None:
            announced += ", " + self._announce.sql(NOTICES, "CAST(show_id AS text)", "CAST(:first_due AS text)")
            params["first_due"] = first_due
        statement = text(
            f"WITH bump AS (UPDATE shows SET version = :last{closing}"
            f" WHERE show_id = CAST(:show_id AS uuid) AND version = :expected RETURNING show_id, {announced}),"
            " appended AS (INSERT INTO show_events (show_id, seq, type, payload, command_id, occurred_at)"
            " SELECT bump.show_id, v.seq, v.type, v.payload, v.cid, v.at"
            f" FROM bump, (VALUES {', '.join(values)}) AS v(seq, type, payload, cid, at) RETURNING 1)"
            f"{noticing}"
            " SELECT count(*) FROM appended"
        )
        try:
            async with self._autocommit.connect() as conn:
                inserted = (await conn.execute(statement, params)).scalar_one()
        except IntegrityError as error:
            raise ConcurrencyConflict(f"show {show_id}: {error.orig.__class__.__name__}") from error
        if inserted != len(rows):
            raise ConcurrencyConflict(f"show {show_id} moved past version {expected}")

    async def find_show_by_code(self, code: str) -> str | None:
        query = select(shows.c.show_id).where(shows.c.code == code.upper(), shows.c.status == "open")
        async with self._autocommit.connect() as conn:
            found = (await conn.execute(query)).scalar()
        return str(found) if found is not None else None

    async def list_shows(self, status: str | None = None, *, limit: int = 50, offset: int = 0) -> ShowPage:
        condition = shows.c.status == status if status is not None else true()
        listing = (
            select(shows).where(condition).order_by(shows.c.created_at.desc(), shows.c.show_id)
            .limit(limit).offset(offset)
        )
        counting = select(func.count()).select_from(shows).where(condition)
        async with self._autocommit.connect() as conn:
            rows = (await conn.execute(listing)).all()
            total = int((await conn.execute(counting)).scalar_one())
        items = [
            ShowSummary(
                show_id=str(r.show_id), name=r.name, code=r.code, opened_at=r.created_at,
                closed=r.status == "closed", version=r.version, settings=settings_from_dict(r.settings),
            )
            for r in rows
        ]
        return ShowPage(items, total)

    async def version(self, show_id: str) -> int | None:
        """The show's current version (its last seq), or None for an unknown show. One indexed read."""
        async with self._autocommit.connect() as conn:
            found = (await conn.execute(select(shows.c.version).where(shows.c.show_id == show_id))).scalar()
        return int(found) if found is not None else None
