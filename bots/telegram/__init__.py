"""The Telegram adapter: translates updates into ``core.chat`` events and replies into Bot API messages.

- ``event_from_update`` / ``context_of`` — an ``Update`` as a ``Said``/``Pressed`` (or None: nothing to read)
- ``render`` / ``split_text`` — a ``Reply`` as ``send_message`` keyword arguments, split to Telegram's limit
- ``TelegramSender`` — the delivery ``Sender``: Bot API errors become Delivered/RetryLater/PermanentFailure
- ``TelegramPoller`` — long polling that confirms updates only after the ``Inbox`` stored them
- ``telegram_bot`` — the ``telegram.Bot`` the service uses, on ``AiohttpRequest`` (PTB's HTTP layer on aiohttp,
  a fraction of httpx's CPU per call)
- ``webhook_router`` — ``POST /telegram/webhook`` for FastAPI: secret checked, stored, then 200
- ``UpdateInbox`` — the part of ``core.delivery.Inbox`` intake needs (``put``)

It holds no rules; everything the bot decides lives in ``core.chat``. The ``telegram.Bot`` is built and
initialized by the composition root and handed in.
"""

from bots.telegram.intake import WEBHOOK_PATH, TelegramPoller, UpdateInbox, webhook_router
from bots.telegram.render import MAX_TEXT, render, split_text
from bots.telegram.sender import TelegramSender
from bots.telegram.translate import ALLOWED_UPDATES, PLATFORM, context_of, event_from_update
from bots.telegram.transport import AiohttpRequest, telegram_bot

__all__ = [
    "ALLOWED_UPDATES",
    "MAX_TEXT",
    "PLATFORM",
    "WEBHOOK_PATH",
    "AiohttpRequest",
    "TelegramPoller",
    "TelegramSender",
    "UpdateInbox",
    "context_of",
    "event_from_update",
    "render",
    "split_text",
    "telegram_bot",
    "webhook_router",
]
