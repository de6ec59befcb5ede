"""The inbound path for Telegram, stored before acknowledged: long polling or a webhook, both into the ``Inbox``.

Telegram forgets an update once it is acknowledged: by a later ``getUpdates`` call whose offset is
beyond it, or by a 2xx answer to the webhook POST. Both paths here store every update in the inbox
first and acknowledge only after that succeeded, so a crash or a database outage means the update
comes again (the inbox's uniqueness on (platform, update_key) absorbs the repeat) instead of being lost.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from telegram import Bot, Update
from telegram.error import Conflict, Forbidden, InvalidToken, RetryAfter, TelegramError

from bots.telegram.translate import ALLOWED_UPDATES, context_of, event_from_update
from core.chat import ChatEvent
from core.envelope import error_body
from core.json_depth import too_deep
from core.repeat import NoOutages, Outages

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's own rule for secret tokens (setWebhook refuses anything else).
_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_MAX_BODY = 1024 * 1024
# How long the poller waits after a batch of several updates before asking for the next. Each batch costs a
# getUpdates round trip and, downstream, a transaction to store it, one to claim it, one to finish it and one to
# claim its replies, whether it holds one update or fifty: at a steady 100 updates a second, polling again at
# once brought them one by one. Over the internet a getUpdates round trip takes about this long anyway. Measured
# (benchmarks/bots.py, a steady 100/s, interleaved runs): 20 ms gave 8.3-10.3 ms CPU per update and a p99 of
# 110-1014 ms, 50 ms gave 6.7-8.1 ms and 97-300 ms, at a p50 about 30 ms higher. A batch of one says updates
# come no faster than a round trip: then the next poll goes at once, and a quiet night pays no wait. Measured
# against waiting after every batch (interleaved runs, PostgreSQL): at 50/s p50 10-12 ms against 46-47 ms, at
# 8.1-10.0 ms CPU per update against 6.6-6.9; at 100/s either regime holds (p50 7-16 ms, or 51-64 ms as before,
# the p99 within 150 ms in both); bursts of 600 unchanged (225-275 against 223-262 updates/s).
GATHER_SECONDS = 0.05


class UpdateInbox(Protocol):
    """What intake needs of ``core.delivery.Inbox``: storing events once per (platform, update_key)."""

    async def put(self, event: ChatEvent, context: Mapping[str, str] | None = None) -> bool:
        """Store ``event``; False when it was already stored (a redelivery)."""
        ...

    async def put_many(self, events: Sequence[tuple[ChatEvent, Mapping[str, str]]]) -> list[bool]:
        """Store a batch all at once or not at all; one flag per event, False for one stored before."""
        ...


class TelegramPoller:
    """Our own long-polling loop over ``Bot.get_updates``, confirming a batch only after it is stored.

    PTB's ``Updater`` is not used on purpose: it moves the offset on (confirming updates to
    Telegram) before handlers run, so an update that fails to be stored would be lost.
    """

    def __init__(
        self,
        bot: Bot,
        inbox: UpdateInbox,
        *,
        bot_username: str | None = None,
        timeout: float = 30.0,
        limit: int = 100,
        allowed_updates: Sequence[str] = ALLOWED_UPDATES,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        delete_webhook: bool = True,
        outages: Outages | None = None,
        gather: float = GATHER_SECONDS,
    ) -> None:
        """``bot`` must be initialized by the caller; ``timeout`` is the long-poll wait in seconds.

        After a poll that brought several updates the next one waits ``gather`` seconds, so that updates
        arriving close together are stored, handled and answered as one batch; after one that brought one
        update (or none) the next goes at once.

        A failure to store that ``outages`` recognises as a database outage is the outage's to log (once);
        the poller just retries.

        ``delete_webhook`` removes a webhook left from webhook mode (getUpdates is refused while one is
        set) — always keeping the pending updates.
        """
        self._bot = bot
        self._inbox = inbox
        self._bot_username = bot_username
        self._timeout = timedelta(seconds=timeout)
        self._limit = limit
        self._allowed_updates = list(allowed_updates)
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._delete_webhook = delete_webhook
        self._offset: int | None = None
        self._outages: Outages = outages or NoOutages()
        self._gather = gather

    @property
    def offset(self) -> int | None:
        """The offset the next ``getUpdates`` call sends: everything below it is stored."""
        return self._offset

    async def run(self) -> None:
        """Poll until cancelled. Failures are logged and retried with growing pauses; nothing is dropped."""
        backoff = self._backoff_initial
        webhook_deleted = not self._delete_webhook
        while True:
            try:
                if not webhook_deleted:
                    await self._bot.delete_webhook(drop_pending_updates=False)
                    webhook_deleted = True
                fetched, _ = await self._round()
                if fetched > 1 and self._gather > 0:
                    await asyncio.sleep(self._gather)
                backoff = self._backoff_initial
                continue
            except RetryAfter as error:
                pause = max(_seconds(error.retry_after), backoff)
                logger.warning("Telegram asks the poller to wait %.0f s", pause)
            except (InvalidToken, Forbidden) as error:
                pause = self._backoff_max
                logger.error("Telegram refuses the bot's token (%s); retrying in %.0f s", error, pause)
            except Conflict as error:
                pause = backoff
                # Another poller, or a webhook set meanwhile: remove the webhook again before the next poll.
                webhook_deleted = not self._delete_webhook
                logger.warning("getUpdates conflict (%s); retrying in %.1f s", error, pause)
            except TelegramError as error:
                pause = backoff
                logger.warning("getUpdates failed (%s); retrying in %.1f s", error, pause)
            except Exception as error:
                pause = backoff
                if not self._outages.absorbs(error):
                    logger.exception("polling failed; updates not stored stay unconfirmed, retrying in %.1f s",
                                     pause)
            await asyncio.sleep(pause)
            backoff = min(backoff * 2, self._backoff_max)

    async def poll_once(self) -> int:
        """One round: fetch a batch (confirming the previous one) and store it.

        Returns how many events were newly stored. The batch is stored in one step, whole or not at
        all: if storing fails the exception propagates and the offset stays before the batch, so
        Telegram offers all of it again.
        """
        _, stored = await self._round()
        return stored

    async def _round(self) -> tuple[int, int]:
        """``poll_once``, saying also how many updates the batch held (stored or not)."""
        batch = await self._fetch()
        events: list[tuple[ChatEvent, Mapping[str, str]]] = []
        for _, update in batch:
            event = event_from_update(update, self._bot_username) if update is not None else None
            if update is not None and event is not None:
                events.append((event, context_of(update)))
        stored = sum(await self._inbox.put_many(events)) if events else 0
        if batch:
            # Only now may the next getUpdates confirm these updates.
            self._offset = max(update_id for update_id, _ in batch) + 1
        # Button presses are answered through the outbox, with their reply when only the presser needs it.
        return len(batch), stored

    async def _fetch(self) -> list[tuple[int, Update | None]]:
        try:
            updates = await self._bot.get_updates(
                offset=self._offset, limit=self._limit, timeout=self._timeout, allowed_updates=self._allowed_updates,
            )
        except TelegramError:
            raise
        except Exception:
            # PTB could not read the batch (an update shape it does not know). Left alone, that one
            # update would block every later one forever, so fetch the batch raw and read each alone.
            logger.warning("python-telegram-bot could not read a batch of updates; reading them one by one")
            return await self._fetch_raw()
        return [(update.update_id, update) for update in updates]

    async def _fetch_raw(self) -> list[tuple[int, Update | None]]:
        # Bot API method names are case-insensitive; this spelling is not a Bot attribute, so PTB
        # does not steer us back to the parsing get_updates.
        raw = await self._bot.do_api_request("getupdates", api_kwargs={
            "offset": self._offset, "limit": self._limit, "timeout": 0, "allowed_updates": self._allowed_updates,
        })
        batch: list[tuple[int, Update | None]] = []
        for data in raw if isinstance(raw, list) else []:
            update_id = data.get("update_id") if isinstance(data, dict) else None
            if not isinstance(update_id, int):
                continue
            try:
                batch.append((update_id, Update.de_json(data, self._bot)))
            except Exception:
                logger.exception("Telegram update %s is unreadable and is skipped: %.2000r", update_id, data)
                batch.append((update_id, None))
        return batch


def webhook_router(inbox: UpdateInbox, secret: str, bot_username: str | None = None, *,
                   bot: Bot | None = None, outages: Outages | None = None) -> APIRouter:
    """``POST /telegram/webhook``: checks the secret, stores the update, then answers 200.

    The secret is checked (in constant time) before the body is read. A wrong or missing secret gets 403
    and a malformed body (not JSON, not an object, nested deeper than 400 levels) 400, both in the API's
    error envelope, without storing anything. If the inbox cannot store the update the answer is 503, so Telegram
    delivers it again later. Updates the bot does not read (or this PTB cannot parse) are acknowledged
    and dropped, the unparseable ones logged. A stored button press is not answered here: its answer
    goes through the outbox (``core.delivery.presses``). ``bot`` (optional) is attached to the parsed objects.
    A failure to store that ``outages`` recognises as a database outage is logged once by it, not per update.
    """
    known_outages: Outages = outages or NoOutages()
    if not _SECRET_PATTERN.fullmatch(secret):
        raise ValueError("the webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    expected = secret.encode()
    router = APIRouter(tags=["telegram"])

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            return envelope(403, "forbidden", "The webhook secret token is missing or wrong.")
        body = await request.body()
        if len(body) > _MAX_BODY:
            return envelope(413, "too-large", "The update is too large.")
        data = _update_object(body)
        if data is None:
            return envelope(400, "validation-error", "The body is not a Telegram update.")
        try:
            update = Update.de_json(data, bot)
        except Exception:
            # Well formed but in a shape this PTB cannot read: delivering it again would not help.
            logger.exception("Telegram update %s is unreadable and is skipped: %.2000r", data["update_id"], data)
            return JSONResponse({"ok": True})
        event = event_from_update(update, bot_username)
        if event is None:
            return JSONResponse({"ok": True})
        try:
            await inbox.put(event, context_of(update))
        except Exception as error:
            if not known_outages.absorbs(error):
                logger.exception("storing Telegram update %s failed; Telegram will deliver it again",
                                 update.update_id)
            return envelope(503, "unavailable", "The update could not be stored; try again later.")
        # A button press is answered through the outbox, like the poller's: with its reply when only the
        # presser needs it, so the answer is not known yet here.
        return JSONResponse({"ok": True})

    return router


def envelope(status: int, code: str, message: str) -> JSONResponse:
    """An error answer in the service's one envelope."""
    return JSONResponse(error_body(code, message), status_code=status)


def _update_object(body: bytes) -> dict[str, Any] | None:
    # json.loads recurses per level: 100,000 nested arrays would raise RecursionError, not ValueError.
    if too_deep(body):
        return None
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or isinstance(data.get("update_id"), bool) or \
            not isinstance(data.get("update_id"), int):
        return None
    return data


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
