"""Getting chat updates in and replies out without losing or repeating any.

Inbound: an adapter stores each platform update in the ``Inbox`` (unique per platform update key)
before acknowledging it; an ``InboxWorker`` hands stored events to the ``ChatBot`` and, in one step,
marks them handled and puts the replies in the ``Outbox``. Outbound: a ``Dispatcher`` claims due
outbox rows and delivers them through each platform's ``Sender`` within that platform's rate limits,
retrying what can be retried and recording what cannot. A ``FreeChannelSender`` may deliver some
replies through a channel the platform does not rate-limit (a Slack command's response_url): those
keep a budget of their own (``ChannelBudgets``) and fall back to the limited way when it runs out.
"""

from core.delivery.codec import ChatCodecError, event_from_json, event_to_json, reply_from_json, reply_to_json
from core.delivery.limits import (
    DEFAULT_LIMITS,
    DIRECT_MESSAGES,
    ChannelBudgets,
    PlatformLimits,
    RateLimiter,
    Window,
    bucket_of,
)
from core.delivery.ports import (
    ChannelClosed,
    Delivered,
    FreeChannel,
    FreeChannelSender,
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
    TogetherSender,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DIRECT_MESSAGES",
    "ChannelBudgets",
    "ChannelClosed",
    "ChatCodecError",
    "Delivered",
    "FreeChannel",
    "FreeChannelSender",
    "Inbox",
    "InboxItem",
    "Outbox",
    "OutboxItem",
    "Outgoing",
    "PermanentFailure",
    "PlatformLimits",
    "RateLimiter",
    "RetryLater",
    "SendOutcome",
    "Sender",
    "SendingTurn",
    "TogetherSender",
    "Window",
    "bucket_of",
    "event_from_json",
    "event_to_json",
    "reply_from_json",
    "reply_to_json",
]
