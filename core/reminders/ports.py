"""The ports of reminders: where planned notices wait until they are due."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.delivery import Outgoing
from core.rotation import Notice


@dataclass(frozen=True, slots=True)
class DueNotice:
    """A stored notice, claimed by a ticker because its time has come."""

    notice_id: int
    key: str
    show_id: str
    request_id: str | None
    kind: str
    detail: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class StoredNotice:
    """A notice as stored, however it ended: for KJs and operators to read back."""

    kind: str
    request_id: str | None
    status: str
    due_at: datetime
    settled_at: datetime | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class FailedMessage:
    """An outbox message the platform refused for good, with the context it was queued with."""

    key: str
    context: Mapping[str, str]
    reason: str


class NoticeStore(Protocol):
    """Notices written with show events (see ``core.rotation.Notice``), claimed when due, settled once."""

    async def claim_due(self, now: datetime, limit: int, lease_seconds: float = 30) -> list[DueNotice]:
        """Up to ``limit`` pending notices due by ``now`` that nobody else holds, oldest due first, leased.

        A lease that runs out (its ticker died) makes the notice claimable again.
        """
        ...

    async def settle(
        self,
        notice_id: int,
        status: str,
        messages: Sequence[Outgoing],
        follow_ups: Sequence[Notice],
        now: datetime,
        detail: str | None = None,
    ) -> None:
        """Atomically: give the notice its final ``status``, queue ``messages`` and store ``follow_ups``.

        Does nothing if the notice is no longer pending (settled by another ticker, or confirmed).
        """
        ...

    async def release(self, notice_id: int, retry_at: datetime, error: str) -> None:
        """Give a claimed notice back after a failure; it is due again at ``retry_at``."""
        ...

    async def add(self, notices: Sequence[Notice], now: datetime) -> None:
        """Store notices not caused by show events (keys already taken are left alone)."""
        ...

    async def confirm(self, show_id: str, request_id: str, now: datetime) -> bool:
        """The singer of ``request_id`` said they are coming: settle its pending no-show checks.

        True if a check was pending.
        """
        ...

    async def failed_messages(self, prefix: str, since: datetime) -> list[FailedMessage]:
        """Outbox messages whose key starts with ``prefix`` that failed for good since ``since``."""
        ...

    async def of_show(self, show_id: str) -> list[StoredNotice]:
        """Every notice of a show, in the order they were planned."""
        ...
