"""A hand-written ``NoticeStore`` over the notices the in-memory show store recorded, and a wired night."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.delivery import Outgoing
from core.reminders import (
    REMOVED,
    TURN_KINDS,
    Correction,
    DueNotice,
    FailedMessage,
    ReminderTicker,
    StoredNotice,
    ToldNotice,
    plan_notices,
)
from core.rotation import Notice
from tests.unit.chat.fakes import Night
from tests.unit.fakes import InMemoryOutbox
from tests.unit.rotation.fakes import InMemoryShowStore


@dataclass
class Row:
    notice: Notice
    notice_id: int
    status: str
    available_at: datetime
    created_at: datetime
    attempts: int = 0
    detail: str | None = None
    settled_at: datetime | None = None
    revision: int = 0


# A notice withdrawn in one of these ways is told again when it is planned again.
REVIVABLE = frozenset({"dropped", "corrected", "confirmed"})


TOLD_KINDS = TURN_KINDS | {REMOVED}


@dataclass
class InMemoryNoticeStore:
    """The rows a ``notices`` table would hold: one per key; a notice that reschedules moves its row, and a
    notice withdrawn since (dropped, corrected, confirmed) is pending again when stored again."""

    shows: InMemoryShowStore
    outbox: InMemoryOutbox = field(default_factory=InMemoryOutbox)
    rows: dict[str, Row] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    synced: int = 0

    def _take(self, notice: Notice, now: datetime) -> None:
        row = self.rows.get(notice.key)
        settled = None if notice.status == "pending" else now
        if row is None:
            self.rows[notice.key] = Row(notice, next(self.ids), notice.status, notice.due_at, now,
                                        detail=notice.detail, settled_at=settled)
        elif notice.reschedules:
            row.notice, row.status, row.available_at, row.settled_at = notice, "pending", notice.due_at, None
        elif row.status in REVIVABLE:
            row.notice, row.status, row.available_at, row.created_at = notice, notice.status, notice.due_at, now
            row.attempts, row.detail, row.settled_at = 0, notice.detail, settled
            row.revision += 1

    def _sync(self) -> None:
        planned = self.shows.notices
        for notice, at in planned[self.synced:]:
            self._take(notice, at)
        self.synced = len(planned)

    async def claim_due(self, now: datetime, limit: int, lease_seconds: float = 30) -> list[DueNotice]:
        self._sync()
        due = sorted((r for r in self.rows.values() if r.status == "pending" and r.available_at <= now),
                     key=lambda r: (r.available_at, r.notice_id))[:limit]
        for row in due:
            row.available_at = now + timedelta(seconds=lease_seconds)
            row.attempts += 1
        return [DueNotice(r.notice_id, r.notice.key, r.notice.show_id, r.notice.request_id, r.notice.kind,
                          r.detail, r.attempts, r.created_at, r.revision) for r in due]

    async def settle(self, notice_id: int, status: str, messages: Sequence[Outgoing], follow_ups: Sequence[Notice],
                     now: datetime, detail: str | None = None) -> None:
        row = next((r for r in self.rows.values() if r.notice_id == notice_id), None)
        if row is None or row.status != "pending":
            return
        row.status, row.detail, row.settled_at = status, detail, now
        await self.outbox.enqueue(messages, now)
        for notice in follow_ups:
            self._take(notice, now)

    async def release(self, notice_id: int, retry_at: datetime, error: str) -> None:
        row = next((r for r in self.rows.values() if r.notice_id == notice_id), None)
        if row is not None and row.status == "pending":
            row.available_at, row.detail = retry_at, error[:500]

    async def add(self, notices: Sequence[Notice], now: datetime) -> None:
        self._sync()
        for notice in notices:
            self._take(notice, now)

    async def confirm(self, show_id: str, request_id: str, now: datetime) -> bool:
        self._sync()
        hit = False
        for row in self.rows.values():
            n = row.notice
            if (n.show_id, n.request_id, n.kind, row.status) == (show_id, request_id, "no_show", "pending"):
                row.status, row.settled_at, hit = "confirmed", now, True
        return hit

    async def failed_messages(self, prefix: str, since: datetime) -> list[FailedMessage]:
        return [FailedMessage(key, context, reason) for key, context, reason in self.outbox.failures(prefix, since)]

    async def told(self, show_id: str) -> list[ToldNotice]:
        self._sync()
        rows = sorted(self.rows.values(), key=lambda r: r.notice_id)
        return [ToldNotice(r.notice_id, r.notice.key, r.notice.request_id, r.notice.kind, r.status) for r in rows
                if r.notice.show_id == show_id and r.notice.request_id is not None and r.notice.kind in TOLD_KINDS
                and r.status in ("pending", "sent", "suppressed")]

    async def correct(self, notice_id: int, corrections: Sequence[Correction], now: datetime) -> None:
        revise = next((r for r in self.rows.values() if r.notice_id == notice_id), None)
        if revise is None or revise.status != "pending":
            return
        revise.status, revise.settled_at = "done", now
        for correction in corrections:
            standing = [r for r in self.rows.values()
                        if r.notice_id in correction.notice_ids and r.status in ("sent", "suppressed")]
            for row in standing:
                row.status, row.settled_at = "corrected", now
            if standing:
                await self.outbox.enqueue(correction.messages, now)
                for row in self.rows.values():
                    if row.notice_id in correction.superseded and row.status == "pending":
                        row.status, row.settled_at, row.detail = "suppressed", now, "told by a correction"

    async def of_show(self, show_id: str) -> list[StoredNotice]:
        self._sync()
        rows = sorted((r for r in self.rows.values() if r.notice.show_id == show_id), key=lambda r: r.notice_id)
        return [StoredNotice(r.notice.kind, r.notice.request_id, r.status, r.notice.due_at, r.settled_at, r.detail)
                for r in rows]

    def statuses(self, kind: str | None = None) -> list[tuple[str, str]]:
        """(kind, status) of every row, optionally of one kind, in the order they were stored."""
        self._sync()
        rows = sorted(self.rows.values(), key=lambda r: r.notice_id)
        return [(r.notice.kind, r.status) for r in rows if kind is None or r.notice.kind == kind]

    def texts(self) -> list[tuple[str, str]]:
        """(recipient user id, text) of every queued message, in order."""
        return [(m.reply.to_person.user_id if m.reply.to_person else "?", m.reply.text)
                for m in self.outbox.messages()]


class ReminderNight(Night):
    """The chat night with reminders wired: notices planned by the rotation, settled by a ticker."""

    def __init__(self, direct_platforms: frozenset[str] = frozenset()) -> None:
        notices = InMemoryNoticeStore(InMemoryShowStore())
        super().__init__(store=notices.shows, notices=plan_notices, confirmations=notices)
        self.notices = notices
        self.ticker = ReminderTicker(notices, self.rotation, self.directory, self.clock,
                                     direct_platforms=direct_platforms, new_token=lambda: f"rem{next(self.tokens)}",
                                     people=self.people_store)

    async def tick(self, seconds: float = 0) -> list[tuple[str, str]]:
        """Move the clock, run the ticker until nothing is due, and return (user id, text) of what it queued."""
        self.clock.tick(seconds)
        before = len(self.notices.outbox.messages())
        while await self.ticker.run_once():
            pass
        return self.notices.texts()[before:]

    def message(self, index: int = -1) -> Outgoing:
        """A queued message by position (the last one by default)."""
        return self.notices.outbox.messages()[index]
