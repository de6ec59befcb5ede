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
    """A stored notice, claimed by a ticker because its time has come; ``created_at`` is when it was stored
    (for a no-show check: when the singer was called)."""

    notice_id: int
    key: str
    show_id: str
    request_id: str | None
    kind: str
    detail: str | None
    attempts: int
    created_at: datetime
    revision: int = 0


@dataclass(frozen=True, slots=True)
class ToldNotice:
    """Something a singer was told about their turn (``sent``, or ``suppressed``: said in the reply to their
    request), or is about to be told (``pending``)."""

    notice_id: int
    key: str
    request_id: str
    kind: str
    status: str


@dataclass(frozen=True, slots=True)
class Correction:
    """The notices a change made untrue, and the messages that set it right (queued only if at least one of
    ``notice_ids`` was still standing: a correction is made once). ``superseded`` are notices still to be
    sent that the correction says already: they are not sent."""

    notice_ids: tuple[int, ...]
    messages: tuple[Outgoing, ...]
    superseded: tuple[int, ...] = ()


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
    """Notices written with show events (see ``core.rotation.Notice``), claimed when due, settled once.

    Storing a notice under a key already taken changes nothing, except that a notice that ``reschedules``
    moves, and a notice withdrawn since (``dropped``, ``corrected``, ``confirmed``) is pending again:
    it is told again when it holds again.
    """

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

    async def told(self, show_id: str) -> list[ToldNotice]:
        """What the show's singers were told about their turns and may still believe (``sent`` or
        ``suppressed`` notices of requests), and what they are about to be told (``pending``), oldest first."""
        ...

    async def correct(self, notice_id: int, corrections: Sequence[Correction], now: datetime) -> None:
        """Atomically: settle the ``revise`` notice ``notice_id`` as done and, for each correction whose
        notices are still standing, mark them ``corrected``, queue its messages, and mark its ``superseded``
        notices ``suppressed`` if they are still pending.

        Does nothing if the revise notice is no longer pending.
        """
        ...
