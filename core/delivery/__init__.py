"""Getting chat updates in and replies out without losing or repeating any.

Inbound: an adapter stores each platform update in the ``Inbox`` (unique per platform update key)
before acknowledging it; an ``InboxWorker`` hands stored events to the ``ChatBot`` and, in one step,
marks them handled and puts the replies in the ``Outbox``. Outbound: a ``Dispatcher`` claims due
outbox rows and delivers them through each platform's ``Sender`` within that platform's rate limits,
retrying what can be retried and recording what cannot.

Three channels cost no room message: a ``FreeChannelSender`` may deliver some replies through a channel
the platform does not rate-limit (a Slack command's response_url), keeping a budget of its own
(``ChannelBudgets``) and falling back to the limited way when it runs out; a button press is answered
with the platform's own press answer when only the presser needs the reply (``presses``); and an answer
only its asker needs goes to their private chat, when they opened one, while the group's slot is busy
(``Dispatcher``, ``PrivateChats``).
"""

from core.delivery.codec import ChatCodecError, event_from_json, event_to_json, reply_from_json, reply_to_json
from core.delivery.limits import (
    DEFAULT_LIMITS,
    DIRECT_MESSAGES,
    EPHEMERAL_IN_ROOM,
    PRESS_ANSWER_MAX,
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
    PressAnswerer,
    PrivateChats,
    RetryLater,
    Sender,
    SendingTurn,
    SendOutcome,
    TogetherSender,
)
from core.delivery.presses import ANSWERS_PRESS, PRESS, answers_press
from core.delivery.private import DirectoryPrivateChats

__all__ = [
    "ANSWERS_PRESS",
    "DEFAULT_LIMITS",
    "DIRECT_MESSAGES",
    "EPHEMERAL_IN_ROOM",
    "PRESS",
    "PRESS_ANSWER_MAX",
    "ChannelBudgets",
    "ChannelClosed",
    "ChatCodecError",
    "Delivered",
    "DirectoryPrivateChats",
    "FreeChannel",
    "FreeChannelSender",
    "Inbox",
    "InboxItem",
    "Outbox",
    "OutboxItem",
    "Outgoing",
    "PermanentFailure",
    "PlatformLimits",
    "PressAnswerer",
    "PrivateChats",
    "RateLimiter",
    "RetryLater",
    "SendOutcome",
    "Sender",
    "SendingTurn",
    "TogetherSender",
    "Window",
    "answers_press",
    "bucket_of",
    "event_from_json",
    "event_to_json",
    "reply_from_json",
    "reply_to_json",
]
