"""``SqlShowStore``: show event streams in one append-only table, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.rotation import (
    AppendResult,
    ConcurrencyConflict,
    Event,
    RecordedCommand,
    ShowSummary,
    StoredEvent,
    event_from_dict,
    event_to_dict,
)
from core.rotation.events import ShowClosed, ShowOpened
from storage.tables import show_events, shows

logger = logging.getLogger(__name__)


class SqlShowStore:
    """Implements ``core.rotation.ShowStore``.

    An append updates ``shows.version`` from the expected version to the new one and inserts the
    batch in one transaction. A concurrent writer that got there first makes the update match no
    row (or, racing on the first append, trips a primary or unique key), which surfaces as
    ``ConcurrencyConflict``; the service then re-reads and re-decides.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # SQLite has one writer at a time; queueing writers here beats its busy-wait back-off,
        # which sleeps in growing steps and makes the slowest command wait for seconds.
        self._write_turn = asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()

    async def load(self, show_id: str, after_seq: int = 0) -> tuple[list[StoredEvent], int]:
        query = (
            select(show_events.c.seq, show_events.c.type, show_events.c.payload, show_events.c.command_id)
            .where(show_events.c.show_id == show_id, show_events.c.seq > after_seq)
            .order_by(show_events.c.seq)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        stored = [StoredEvent(r.seq, event_from_dict(r.type, r.payload), r.command_id) for r in rows]
        return stored, (stored[-1].seq if stored else after_seq)

    async def append(
        self, show_id: str, expected_version: int, events: Sequence[Event], command_id: str
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
                closed = next((e for e in events if isinstance(e, ShowClosed)), None)
                if closed is not None:
                    await conn.execute(
                        update(shows)
                        .where(shows.c.show_id == show_id)
                        .values(status="closed", closed_at=closed.occurred_at)
                    )
                await conn.execute(insert(show_events), rows)
        except IntegrityError as error:
            raise ConcurrencyConflict(f"show {show_id}: {error.orig.__class__.__name__}") from error
        except OperationalError as error:
            # SQLite answers a write race it cannot wait out with "database is locked".
            if "locked" not in str(error).lower():
                raise
            raise ConcurrencyConflict(f"show {show_id}: database busy") from error
        return AppendResult(first_seq=expected_version + 1, last_seq=last)

    async def find_command(self, show_id: str, command_id: str) -> RecordedCommand | None:
        first_query = select(show_events.c.seq).where(
            show_events.c.show_id == show_id, show_events.c.command_id == command_id
        )
        async with self._engine.connect() as conn:
            first = (await conn.execute(first_query)).scalar()
            if first is None:
                return None
            following = (
                await conn.execute(
                    select(func.min(show_events.c.seq)).where(
                        show_events.c.show_id == show_id,
                        show_events.c.seq > first,
                        show_events.c.command_id.is_not(None),
                    )
                )
            ).scalar()
            if following is None:
                last = (
                    await conn.execute(select(func.max(show_events.c.seq)).where(show_events.c.show_id == show_id))
                ).scalar_one()
            else:
                last = following - 1
        return RecordedCommand(command_id=command_id, first_seq=int(first), last_seq=int(last))

    async def find_show_by_code(self, code: str) -> str | None:
        query = select(shows.c.show_id).where(shows.c.code == code.upper(), shows.c.status == "open")
        async with self._engine.connect() as conn:
            found = (await conn.execute(query)).scalar()
        return str(found) if found is not None else None

    async def list_shows(self) -> list[ShowSummary]:
        query = select(shows).order_by(shows.c.created_at.desc(), shows.c.show_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            ShowSummary(
                show_id=str(r.show_id), name=r.name, code=r.code, opened_at=r.created_at, closed=r.status == "closed"
            )
            for r in rows
        ]

    async def version(self, show_id: str) -> int | None:
        """The show's current version (its last seq), or None for an unknown show. One indexed read."""
        async with self._engine.connect() as conn:
            found = (await conn.execute(select(shows.c.version).where(shows.c.show_id == show_id))).scalar()
        return int(found) if found is not None else None
