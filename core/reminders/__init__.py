"""Reminders: every singer hears when their turn is coming, exactly once, across restarts and instances,
and hears it again, corrected, when a change makes what they were told untrue.

- ``plan``: ``plan_notices`` derives notices from a show's state after each batch of events (the
  rotation stores them with the batch); ``stale_reason`` says when one no longer holds.
- ``corrections``: which told notices a change broke.
- ``ticker``: ``ReminderTicker`` settles the due notices into outbox messages, once.
- ``recipients``: where a message reaches a singer, the KJs or the show's rooms.
- ``ports`` (``NoticeStore``) and ``log`` (``NoticeLog``, reminders read back for KJs).
"""

from core.reminders.log import NoticeEntry, NoticeLog
from core.reminders.plan import (
    CLOSED,
    FAREWELL,
    HEADS_UP,
    IDLE,
    KJ_KINDS,
    NEXT,
    NO_SHOW,
    REMOVED,
    REVISE,
    SCAN,
    SHOW_KINDS,
    SINGER_KINDS,
    SOON,
    TURN_KINDS,
    UNDELIVERED,
    UP,
    notice_key,
    plan_notices,
    show_key,
    stale_reason,
)
from core.reminders.ports import Correction, DueNotice, FailedMessage, NoticeStore, StoredNotice, ToldNotice
from core.reminders.recipients import MESSAGE_PREFIX, Recipients
from core.reminders.ticker import ReminderTicker

__all__ = [
    "CLOSED",
    "FAREWELL",
    "HEADS_UP",
    "IDLE",
    "KJ_KINDS",
    "MESSAGE_PREFIX",
    "NEXT",
    "NO_SHOW",
    "REMOVED",
    "REVISE",
    "SCAN",
    "SHOW_KINDS",
    "SINGER_KINDS",
    "SOON",
    "TURN_KINDS",
    "UNDELIVERED",
    "UP",
    "Correction",
    "DueNotice",
    "FailedMessage",
    "NoticeEntry",
    "NoticeLog",
    "NoticeStore",
    "Recipients",
    "ReminderTicker",
    "StoredNotice",
    "ToldNotice",
    "notice_key",
    "plan_notices",
    "show_key",
    "stale_reason",
]
