"""``TelegramSender``: delivers queued replies with the real Bot API client and turns every failure into an outcome."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from bots.telegram.render import MAX_PRESS_ANSWER, MAX_TEXT, measure, render, render_press_answer, render_together
from bots.telegram.translate import PLATFORM
from core.delivery import PRESS, Delivered, OutboxItem, PermanentFailure, RetryLater, SendOutcome

logger = logging.getLogger(__name__)


class TelegramSender:
    """The ``Sender`` for Telegram: one reply may be several messages (long text); buttons ride on the last.

    It also says several short answers as one message (``send_together``) and answers button presses
    (``answer_press``: the callback answer, which is no message).

    If a later part of a split reply fails and is retried, the parts already delivered are not sent
    again (remembered per outbox key while this process lives).
    """

    platform = PLATFORM
    max_length = MAX_TEXT

    def __init__(self, bot: Bot, *, network_backoff: float = 5.0, unknown_backoff: float = 60.0) -> None:
        """``bot`` must be initialized (``async with bot`` or ``await bot.initialize()``) by the caller."""
        self._bot = bot
        self._network_backoff = network_backoff
        self._unknown_backoff = unknown_backoff
        self._parts_sent: dict[str, int] = {}

    async def send(self, item: OutboxItem) -> SendOutcome:
        """Send every message of ``item.reply``; never raises."""
        try:
            messages = render(item.reply)
        except ValueError as error:
            return PermanentFailure(f"cannot render reply: {error}")
        done = self._parts_sent.get(item.key, 0)
        for index, message in enumerate(messages):
            if index < done:
                continue
            outcome = await self._send_one(item, message)
            if outcome is not None:
                if isinstance(outcome, RetryLater) and index > 0:
                    self._parts_sent[item.key] = index
                else:
                    self._parts_sent.pop(item.key, None)
                return outcome
        self._parts_sent.pop(item.key, None)
        return Delivered()

    def measure(self, text: str) -> int:
        """Telegram counts a message's length in UTF-16 code units."""
        return measure(text)

    async def send_together(self, items: Sequence[OutboxItem]) -> SendOutcome:
        """Send short answers to one group as one message, each singer mentioned; never raises."""
        try:
            message = render_together([item.reply for item in items])
        except ValueError as error:
            return PermanentFailure(f"cannot render coalesced replies: {error}")
        return await self._send_one(items[0], message) or Delivered()

    async def answer_press(self, item: OutboxItem) -> SendOutcome:
        """Answer the callback query ``item`` answers with its text (a notification only the presser sees);
        never raises. Refused ("query is too old", already answered, too long) is a ``PermanentFailure``."""
        query_id = item.context.get(PRESS)
        if not query_id:
            return PermanentFailure("no callback query to answer")
        if measure(item.reply.text.strip()) > MAX_PRESS_ANSWER:
            return PermanentFailure("too long for a callback answer")
        try:
            await self._bot.answer_callback_query(**render_press_answer(query_id, item.reply.text))
        except RetryAfter as error:
            return RetryLater(_seconds(error.retry_after), f"flood control: {error.message}")
        except BadRequest as error:  # before NetworkError: BadRequest is one of its subclasses
            return PermanentFailure(f"bad request: {error.message}")
        except NetworkError as error:
            logger.info("network trouble answering a button press (outbox item %s): %s", item.item_id, error)
            return RetryLater(self._network_backoff, f"network: {error.message}")
        except TelegramError as error:
            return PermanentFailure(f"telegram: {error.message}")
        except Exception as error:
            logger.exception("unexpected failure answering a button press (outbox item %s)", item.item_id)
            return RetryLater(self._unknown_backoff, f"unexpected: {type(error).__name__}")
        return Delivered()

    async def _send_one(self, item: OutboxItem, message: dict[str, Any]) -> RetryLater | PermanentFailure | None:
        try:
            try:
                await self._bot.send_message(**message)
            except ChatMigrated as migrated:
                # A group became a supergroup: the same conversation lives on under a new id.
                logger.warning("chat %s moved to %s; sending there", message["chat_id"], migrated.new_chat_id)
                await self._bot.send_message(**{**message, "chat_id": migrated.new_chat_id})
        except RetryAfter as error:
            return RetryLater(_seconds(error.retry_after), f"flood control: {error.message}")
        except Forbidden as error:
            return PermanentFailure(f"forbidden: {error.message}")
        except BadRequest as error:  # before NetworkError: BadRequest is one of its subclasses
            return PermanentFailure(f"bad request: {error.message}")
        except NetworkError as error:  # TimedOut included
            logger.info("network trouble sending outbox item %s: %s", item.item_id, error)
            return RetryLater(self._network_backoff, f"network: {error.message}")
        except TelegramError as error:
            logger.warning("Telegram refused outbox item %s: %s", item.item_id, error)
            return RetryLater(self._unknown_backoff, f"telegram: {error.message}")
        except Exception as error:
            logger.exception("unexpected failure sending outbox item %s", item.item_id)
            return RetryLater(self._unknown_backoff, f"unexpected: {type(error).__name__}")
        return None


def _seconds(value: int | timedelta) -> float:
    # PTB gives a timedelta when PTB_TIMEDELTA is set and an int (with a deprecation warning) otherwise.
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
