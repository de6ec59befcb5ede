"""What the service's metrics read from the database: queue depths at scrape time, and how late reminders
are settled compared with when they were due."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.delivery import Outgoing
from core.reminders import DueNotice
from core.rotation import Notice
from core.wakeups import Wakeups
from storage.notices import SqlNoticeStore
from storage.tables import inbox, notices, outbox


@dataclass(frozen=True, slots=True)
class Waiting:
    """How many items wait in a queue, and since when the oldest of them."""

    count: int = 0
    oldest: datetime | None = None


@dataclass(frozen=True, slots=True)
class QueueDepths:
    """The inbox (updates stored, not yet handled) and the outbox by platform (replies neither sent nor failed)."""

    inbox: Waiting = Waiting()
    outbox: dict[str, Waiting] = field(default_factory=dict)


async def queue_depths(engine: AsyncEngine) -> QueueDepths:
    """Read both queues' depths (two indexed aggregates)."""
    waiting_in = select(func.count(), func.min(inbox.c.received_at)).where(inbox.c.handled_at.is_(None))
    waiting_out = (
        select(outbox.c.platform, func.count(), func.min(outbox.c.created_at))
        .where(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
        .group_by(outbox.c.platform)
    )
    async with engine.connect() as conn:
        count, oldest = (await conn.execute(waiting_in)).one()
        by_platform = {
            platform: Waiting(int(n), first) for platform, n, first in (await conn.execute(waiting_out)).all()
        }
    return QueueDepths(Waiting(int(count), oldest), by_platform)


class SqlNoticeStoreTimed(SqlNoticeStore):
    """``SqlNoticeStore`` that reports, for every notice settled as ``sent``, how long after its due time that
    was: ``on_sent(kind, seconds_late)``."""

    def __init__(self, engine: AsyncEngine, wakeups: Wakeups | None = None, *,
                 on_sent: Callable[[str, float], None]) -> None:
        super().__init__(engine, wakeups)
        self._engine_for_due = engine
        self._on_sent = on_sent
        self._claimed: dict[int, tuple[str, datetime]] = {}

    async def claim_due(self, now: datetime, limit: int, lease_seconds: float = 30) -> list[DueNotice]:
        due = await super().claim_due(now, limit, lease_seconds)
        if due:
            ids = [n.notice_id for n in due]
            query = select(notices.c.notice_id, notices.c.kind, notices.c.due_at).where(notices.c.notice_id.in_(ids))
            async with self._engine_for_due.connect() as conn:
                for notice_id, kind, due_at in await conn.execute(query):
                    self._claimed[int(notice_id)] = (kind, due_at)
        return due

    async def settle(
        self,
        notice_id: int,
        status: str,
        messages: Sequence[Outgoing],
        follow_ups: Sequence[Notice],
        now: datetime,
        detail: str | None = None,
    ) -> None:
        await super().settle(notice_id, status, messages, follow_ups, now, detail)
        claimed = self._claimed.pop(notice_id, None)
        if claimed is not None and status == "sent":
            kind, due_at = claimed
            self._on_sent(kind, max(0.0, (now - due_at).total_seconds()))

    async def release(self, notice_id: int, retry_at: datetime, error: str) -> None:
        self._claimed.pop(notice_id, None)
        await super().release(notice_id, retry_at, error)
