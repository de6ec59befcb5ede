"""Reminders: every singer hears when their turn is coming, exactly once, across restarts and instances.

``plan_notices`` derives notices from a show's state after each batch of events; the rotation stores
them with the batch. ``ReminderTicker`` settles the due ones into outbox messages, dropping those
that no longer hold. Stdlib and ``core`` only.
"""

from core.reminders.log import NoticeEntry, NoticeLog
from core.reminders.plan import (
    HEADS_UP,
    KJ_KINDS,
    NEXT,
    NO_SHOW,
    SCAN,
    SINGER_KINDS,
    SOON,
    UNDELIVERED,
    UP,
    notice_key,
    plan_notices,
    stale_reason,
)
from core.reminders.ports import DueNotice, FailedMessage, NoticeStore, StoredNotice
from core.reminders.ticker import MESSAGE_PREFIX, ReminderTicker

__all__ = [
    "HEADS_UP",
    "KJ_KINDS",
    "MESSAGE_PREFIX",
    "NEXT",
    "NO_SHOW",
    "SCAN",
    "SINGER_KINDS",
    "SOON",
    "UNDELIVERED",
    "UP",
    "DueNotice",
    "FailedMessage",
    "NoticeEntry",
    "NoticeLog",
    "NoticeStore",
    "ReminderTicker",
    "StoredNotice",
    "notice_key",
    "plan_notices",
    "stale_reason",
]
