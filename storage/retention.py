"""``SqlRetention``: the retention sweep (``core.privacy.RetentionStore``) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.tables import (
    admin_sessions,
    chat_choices,
    chat_kjs,
    chat_people,
    chat_rooms,
    idempotency_keys,
    inbox,
    notices,
    outbox,
    shows,
    web_joins,
)

# Any fixed number: instances sweeping at once on PostgreSQL take turns on this transaction-level lock.
_SWEEP_LOCK = 0x6B6172616F6B6501
_IDS_PER_STATEMENT = 500


class SqlRetention:
    """Implements ``core.privacy.RetentionStore``: one transaction per sweep, one statement per kind of row."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    async def sweep(self, cutoff: datetime) -> Mapping[str, int]:
        counts = dict.fromkeys(("notices", "choices", "kj roles", "room bindings", "inbox", "outbox",
                                 "idempotency keys", "dashboard sessions", "web joins"), 0)
        async with self._engine.begin() as conn:
            # Another instance sweeping right now does the same work: leave it to that one. (SQLite has
            # one writer; a second sweep there waits its turn and then finds nothing.)
            if self._postgres and not (await conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _SWEEP_LOCK})).scalar():
                return counts
            closed = [str(row.show_id) for row in await conn.execute(
                select(shows.c.show_id).where(shows.c.status == "closed", shows.c.closed_at < cutoff))]
            for chunk in _chunks(closed):
                counts["notices"] += await _deleted(conn, delete(notices).where(notices.c.show_id.in_(chunk)))
                counts["choices"] += await _deleted(conn, delete(chat_choices).where(chat_choices.c.show_id.in_(chunk)))
                counts["kj roles"] += await _deleted(conn, delete(chat_kjs).where(chat_kjs.c.show_id.in_(chunk)))
                counts["room bindings"] += await _deleted(
                    conn, delete(chat_rooms).where(chat_rooms.c.show_id.in_(chunk)))
                counts["idempotency keys"] += await _deleted(
                    conn, delete(idempotency_keys).where(idempotency_keys.c.show_id.in_(chunk)))
                # Not counted: a pointer, not a record; the person is still known.
                await conn.execute(update(chat_people).where(chat_people.c.current_show.in_(chunk))
                                   .values(current_show=None))
            counts["choices"] += await _deleted(conn, delete(chat_choices).where(chat_choices.c.expires_at < cutoff))
            counts["inbox"] = await _deleted(conn, delete(inbox).where(
                inbox.c.handled_at.is_not(None), inbox.c.handled_at < cutoff))
            counts["outbox"] = await _deleted(conn, delete(outbox).where(
                or_(outbox.c.sent_at < cutoff, outbox.c.failed_at < cutoff)))
            # Keys of no show (a show never opened, a song added): kept as long as delivery records.
            counts["idempotency keys"] += await _deleted(conn, delete(idempotency_keys).where(
                idempotency_keys.c.show_id.is_(None), idempotency_keys.c.created_at < cutoff))
            counts["dashboard sessions"] = await _deleted(conn, delete(admin_sessions).where(
                admin_sessions.c.expires_at < cutoff))
            # Where web singers joined from matters only while their show is open: gone once it closed, or
            # with the delivery records at the latest.
            joined = [str(row.show_id) for row in await conn.execute(select(web_joins.c.show_id).distinct())]
            for chunk in _chunks(joined):
                over = [str(row.show_id) for row in await conn.execute(
                    select(shows.c.show_id).where(shows.c.show_id.in_(chunk), shows.c.status == "closed"))]
                if over:
                    counts["web joins"] += await _deleted(conn, delete(web_joins).where(web_joins.c.show_id.in_(over)))
            counts["web joins"] += await _deleted(conn, delete(web_joins).where(web_joins.c.joined_at < cutoff))
        return counts


async def _deleted(conn: AsyncConnection, statement: Any) -> int:
    return int((await conn.execute(statement)).rowcount or 0)


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i:i + _IDS_PER_STATEMENT] for i in range(0, len(ids), _IDS_PER_STATEMENT)]
