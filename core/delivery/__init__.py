"""Getting chat updates in and replies out without losing or repeating any.

Inbound: an adapter stores each platform update in the ``Inbox`` (unique per platform update key)
before acknowledging it; an ``InboxWorker`` hands stored events to the ``ChatBot`` and, in one step,
marks them handled and puts the replies in the ``Outbox``. Outbound: a ``Dispatcher`` claims due
outbox rows and delivers them through each platform's ``Sender`` within that platform's rate limits,
retrying what can be retried and recording what cannot.
"""

from core.delivery.codec import event_from_json, event_to_json, reply_from_json, reply_to_json
from core.delivery.ports import (
    Delivered,
    Inbox,
    InboxItem,
    Outbox,
    OutboxItem,
    Outgoing,
    PermanentFailure,
    RetryLater,
    Sender,
    SendingTurn,
    SendOutcome,
)

__all__ = [
    "Delivered",
    "Inbox",
    "InboxItem",
    "Outbox",
    "OutboxItem",
    "Outgoing",
    "PermanentFailure",
    "RetryLater",
    "SendOutcome",
    "Sender",
    "SendingTurn",
    "event_from_json",
    "event_to_json",
    "reply_from_json",
    "reply_to_json",
]
