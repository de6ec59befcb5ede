"""``SqlNoticeStore``: due notices claimed under a lease and settled together with the messages they cause.

On PostgreSQL every instance's ticker claims at once with ``FOR UPDATE SKIP LOCKED``; SQLite has one
writer, so claims take turns in-process (one instance at a time on SQLite).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.delivery import Outgoing
from core.reminders import REMOVED, TURN_KINDS, Correction, DueNotice, FailedMessage, StoredNotice, ToldNotice
from core.rotation import Notice
from core.wakeups import NOTICES, Wakeups
from storage.delivery import _enqueue
from storage.notify import Announcer
from storage.tables import UtcDateTime, notices, outbox


class SqlNoticeStore:
    """Implements ``core.reminders.NoticeStore``."""

    def __init__(self, engine: AsyncEngine, wakeups: Wakeups | None = None) -> None:
        """``wakeups`` hears this store's announcements in-process (SQLite; PostgreSQL announces itself)."""
        self._engine = engine
        self._announce = Announcer(engine, wakeups)
        self._postgres = engine.dialect.name == "postgresql"
        self._dialect: Any = postgresql if self._postgres else sqlite
        self._turn: Any = contextlib.nullcontext() if self._postgres else asyncio.Lock()

    @contextlib.asynccontextmanager
    async def _write(self) -> Any:
        async with self._turn, self._engine.begin() as conn:
            yield conn

    async def claim_due(self, now: datetime, limit: int, lease_seconds: float = 30) -> list[DueNotice]:
        due = (
            select(notices.c.notice_id)
            .where(notices.c.status == "pending", notices.c.available_at <= now)
            .order_by(notices.c.available_at, notices.c.notice_id)
            .limit(limit)
        )
        if self._postgres:
            due = due.with_for_update(skip_locked=True)
        # One statement: claiming is atomic on SQLite too, where a read and a later write could interleave.
        claim = (
            update(notices)
            .where(notices.c.notice_id.in_(due.scalar_subquery()))
            .values(available_at=now + timedelta(seconds=lease_seconds), attempts=notices.c.attempts + 1)
            .returning(notices.c.notice_id, notices.c.key, notices.c.show_id, notices.c.request_id, notices.c.kind,
                       notices.c.detail, notices.c.attempts, notices.c.created_at, notices.c.revision)
        )
        async with self._write() as conn:
            rows = sorted((await conn.execute(claim)).all(), key=lambda r: r.notice_id)
        return [DueNotice(r.notice_id, r.key, r.show_id, r.request_id, r.kind, r.detail, r.attempts, r.created_at,
                          r.revision) for r in rows]

    async def settle(
        self,
        notice_id: int,
        status: str,
        messages: Sequence[Outgoing],
        follow_ups: Sequence[Notice],
        now: datetime,
        detail: str | None = None,
    ) -> None:
        async with self._write() as conn:
            # Only a notice still pending is settled, and only then are its messages queued: a ticker
            # whose lease ran out finds it settled by another (who queued the messages), and a no-show
            # check the singer answered meanwhile ("On my way") prompts nobody.
            settled = await conn.execute(
                update(notices).where(notices.c.notice_id == notice_id, notices.c.status == "pending")
                .values(status=status, settled_at=now, detail=(detail or None) and detail[:500])
            )
            if settled.rowcount != 1:
                return
            await _enqueue(conn, self._dialect, messages, now)
            await insert_notices(conn, follow_ups, now)
            await self._announce_pending(conn, follow_ups)

    async def release(self, notice_id: int, retry_at: datetime, error: str) -> None:
        async with self._write() as conn:
            released = await conn.execute(
                update(notices).where(notices.c.notice_id == notice_id, notices.c.status == "pending")
                .values(available_at=retry_at, detail=error[:500])
                .returning(notices.c.show_id)
            )
            for show_id in released.scalars():
                # Its retry may come due before what every instance's reminders wait for now.
                await self._announce.within(conn, NOTICES, str(show_id), retry_at.isoformat())
        self._announce.after(NOTICES, "", retry_at.isoformat())

    async def add(self, new: Sequence[Notice], now: datetime) -> None:
        async with self._write() as conn:
            await insert_notices(conn, new, now)
            await self._announce_pending(conn, new)

    async def _announce_pending(self, conn: AsyncConnection, new: Sequence[Notice]) -> None:
        # Every instance's reminders hear at commit when each show's first new notice comes due: it may
        # be before what they wait for now.
        first: dict[str, datetime] = {}
        for notice in new:
            if notice.status == "pending":
                first[notice.show_id] = min(notice.due_at, first.get(notice.show_id, notice.due_at))
        for show_id, due in sorted(first.items()):
            await self._announce.within(conn, NOTICES, show_id, due.isoformat())
        for show_id, due in sorted(first.items()):
            self._announce.after(NOTICES, show_id, due.isoformat())

    async def next_due(self) -> datetime | None:
        """When the earliest pending notice may be claimed (a claimed one: when its lease ends); None if none."""
        async with self._engine.connect() as conn:
            found = (await conn.execute(
                select(func.min(notices.c.available_at)).where(notices.c.status == "pending")
            )).scalar()
        found_at: datetime | None = found  # UtcDateTime: aware, in UTC
        return found_at

    async def confirm(self, show_id: str, request_id: str, now: datetime) -> bool:
        async with self._write() as conn:
            result = await conn.execute(
                update(notices).where(notices.c.show_id == show_id, notices.c.request_id == request_id,
                                      notices.c.kind == "no_show", notices.c.status == "pending")
                .values(status="confirmed", settled_at=now)
            )
        return bool(result.rowcount)

    async def failed_messages(self, prefix: str, since: datetime) -> list[FailedMessage]:
        query = select(outbox.c.key, outbox.c.context, outbox.c.last_error).where(
            outbox.c.failed_at >= since, outbox.c.key.startswith(prefix, autoescape=True)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [FailedMessage(r.key, dict(r.context), r.last_error or "") for r in rows]

    async def told(self, show_id: str) -> list[ToldNotice]:
        query = (
            select(notices.c.notice_id, notices.c.key, notices.c.request_id, notices.c.kind, notices.c.status)
            .where(notices.c.show_id == show_id, notices.c.request_id.is_not(None),
                   notices.c.kind.in_(sorted(TOLD_KINDS)), notices.c.status.in_(["pending", "sent", "suppressed"]))
            .order_by(notices.c.notice_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [ToldNotice(r.notice_id, r.key, r.request_id, r.kind, r.status) for r in rows]

    async def correct(self, notice_id: int, corrections: Sequence[Correction], now: datetime) -> None:
        async with self._write() as conn:
            done = await conn.execute(
                update(notices).where(notices.c.notice_id == notice_id, notices.c.status == "pending")
                .values(status="done", settled_at=now)
            )
            if done.rowcount != 1:
                return  # settled by another ticker, which made the corrections
            for correction in corrections:
                # Only notices still standing are corrected, and only then is the correction queued.
                corrected = await conn.execute(
                    update(notices).where(notices.c.notice_id.in_(list(correction.notice_ids)),
                                          notices.c.status.in_(["sent", "suppressed"]))
                    .values(status="corrected", settled_at=now)
                )
                if corrected.rowcount:
                    await _enqueue(conn, self._dialect, correction.messages, now)
                    if correction.superseded:
                        await conn.execute(
                            update(notices).where(notices.c.notice_id.in_(list(correction.superseded)),
                                                  notices.c.status == "pending")
                            .values(status="suppressed", settled_at=now, detail="told by a correction")
                        )

    async def of_show(self, show_id: str) -> list[StoredNotice]:
        query = select(notices).where(notices.c.show_id == show_id).order_by(notices.c.notice_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [StoredNotice(r.kind, r.request_id, r.status, r.due_at, r.settled_at, r.detail) for r in rows]


# A notice withdrawn in one of these ways is told again when it is planned again.
REVIVABLE = frozenset({"dropped", "corrected", "confirmed"})
# What was told about a turn, and may be corrected.
TOLD_KINDS = TURN_KINDS | {REMOVED}
# Every column a stored notice has, in the order the statements below list them.
NOTICE_COLUMNS = ("key", "show_id", "request_id", "kind", "status", "due_at", "available_at", "attempts", "detail",
                  "created_at", "settled_at")
_TIMES = frozenset({"due_at", "available_at", "created_at", "settled_at"})


def on_conflict(reschedules: bool) -> str:
    """What storing a notice under a key already taken does (SQLite and PostgreSQL alike).

    A notice that ``reschedules`` (a show's timer) moves the stored row to the new time, pending again.
    Any other notice leaves the row as it is, unless the row was withdrawn since (dropped because it
    no longer held, corrected, or a no-show check answered): then it is stored afresh, to be told again.
    """
    if reschedules:
        return ("ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, available_at = excluded.available_at,"
                " status = 'pending', settled_at = NULL")
    return ("ON CONFLICT (key) DO UPDATE SET status = excluded.status, due_at = excluded.due_at,"
            " available_at = excluded.available_at, attempts = 0, detail = excluded.detail,"
            " created_at = excluded.created_at, settled_at = excluded.settled_at, revision = notices.revision + 1"
            f" WHERE notices.status IN ({', '.join(repr(s) for s in sorted(REVIVABLE))})")


def notice_values(notice: Notice, now: datetime) -> dict[str, Any]:
    """The row of a newly stored notice, by column."""
    return {"key": notice.key, "show_id": notice.show_id, "request_id": notice.request_id, "kind": notice.kind,
            "status": notice.status, "due_at": notice.due_at, "available_at": notice.due_at, "attempts": 0,
            "detail": notice.detail, "created_at": now,
            "settled_at": None if notice.status == "pending" else now}


def by_rescheduling(new: Sequence[Notice]) -> list[tuple[bool, list[Notice]]]:
    """``new`` split into the notices stored once and those that reschedule (each group non-empty)."""
    groups = [(flag, [n for n in new if n.reschedules is flag]) for flag in (False, True)]
    return [(flag, group) for flag, group in groups if group]


async def insert_notices(conn: AsyncConnection, new: Sequence[Notice], now: datetime) -> None:
    """Store notices in ``conn``'s transaction; a key already taken is treated as ``on_conflict`` says."""
    for reschedules, group in by_rescheduling(new):
        params: dict[str, Any] = {}
        binds = []
        rows = []
        for i, notice in enumerate(group):
            names = []
            for column, value in notice_values(notice, now).items():
                name = f"{column}_{i}"
                params[name] = value
                names.append(f":{name}")
                if column in _TIMES:
                    binds.append(bindparam(name, type_=UtcDateTime))
            rows.append(f"({', '.join(names)})")
        statement = text(
            f"INSERT INTO notices ({', '.join(NOTICE_COLUMNS)}) VALUES {', '.join(rows)} {on_conflict(reschedules)}"
        ).bindparams(*binds)
        await conn.execute(statement, params)
