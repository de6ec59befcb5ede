"""``SlackSender``: delivers one queued ``Reply`` to Slack and says how it went.

Two ways, and the dispatcher picks (``core.delivery.FreeChannelSender``). A reply that answers a slash
command or a button press where it was made goes to that request's own ``response_url``
(``free_channel``/``send_free``): ``response_type: in_channel`` for what the room may read ("Queued …"),
``ephemeral`` for what only the asker needs. A response_url is not chat.postMessage and is not under its
limits (1 message a second per channel): Slack lets each one take 5 posts within 30 minutes of the
request. So forty commands in one channel are answered at once, not one a second. Everything else, and
a reply whose response_url is used up, expired or refused, goes through the Web API (``send``:
chat.postMessage, chat.postEphemeral, a DM) within the rate limits the dispatcher keeps.

Why response_url and not the body of the acknowledgement itself: the answer is only known once the
command is handled, which happens after it is stored and acknowledged (a stored update is handled by
the inbox worker, once, whichever instance holds it). Answering in the acknowledgement would mean
handling the command inside the HTTP request, before the update is safely stored, or holding the
request open for the worker with Slack's 3 s limit running; and an answer said in an HTTP response
cannot be recorded as delivered (Slack never says whether it showed it, and does not send a slash
command again). A response_url post is an outbox send like any other: claimed, sent, marked sent
exactly as today, under the same leases across restarts and instances.

Failures are outcomes, never exceptions: a rate limit (HTTP 429) is ``RetryLater`` after Slack's
``Retry-After``; a dropped connection or timeout is ``RetryLater`` with an exponential back-off; an
error Slack will repeat forever (channel_not_found, not_in_channel, is_archived, user_not_found,
invalid_auth, a malformed message ...) is ``PermanentFailure``. An announcement for a channel the app
is not a member of goes through the command's response_url (``in_channel``) when the reply has one.

A reply split into several messages is sent in order; if a later one fails, a retry sends the
earlier ones again (Slack has no idempotency key for chat.postMessage or a response_url).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bots.slack.render import (
    SlackMessage,
    ToChannel,
    ToDirect,
    ToEphemeral,
    messages,
    render,
    response_destination,
)
from core.delivery import (
    ChannelClosed,
    Delivered,
    FreeChannel,
    OutboxItem,
    PermanentFailure,
    RetryLater,
    SendOutcome,
    Window,
)

logger = logging.getLogger(__name__)

# The app is not in the channel (a slash command works anywhere; chat.postMessage does not).
NOT_A_MEMBER_ERRORS = frozenset({"not_in_channel", "channel_not_found"})
# Errors Slack gives when trying again later can work; any other error is the request's own fault.
TRANSIENT_ERRORS = frozenset({
    "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
    "team_added_to_org", "accesslimited",
})
DEFAULT_RETRY_AFTER = 1.0
# Slack: a response_url takes up to 5 posts within 30 minutes of the request.
RESPONSE_URL_BUDGET = Window(5, 30 * 60.0)
RESPONSE_URL_LIFETIME = timedelta(minutes=30)
# Not started this close to the end: the post may arrive late, and Slack's clock is not ours.
RESPONSE_URL_MARGIN = timedelta(minutes=1)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SlackSender:
    """Sends replies on Slack with ``client`` (a bot-token ``AsyncWebClient``).

    Implements ``core.delivery.FreeChannelSender``: ``send`` through the Web API, ``send_free`` through
    the response_url of the request a reply answers.
    """

    platform = "slack"

    def __init__(self, client: AsyncWebClient, *, base_backoff: float = 2.0, max_backoff: float = 300.0,
                 response_url_timeout: int = 10) -> None:
        """``base_backoff`` doubles per attempt up to ``max_backoff`` after network errors."""
        self._client = client
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff
        self._response_url_timeout = response_url_timeout

    async def send(self, item: OutboxItem) -> SendOutcome:
        """Deliver ``item.reply``; never raises."""
        rendered = render(item.reply, item.context)
        if rendered is None:
            return PermanentFailure("the reply names no room and no person")
        try:
            target = rendered.destination
            for message in rendered.messages:
                target = await self._post(target, message)
        except SlackApiError as error:
            return self._api_failure(error, item)
        except (aiohttp.ClientError, TimeoutError) as error:
            return RetryLater(self._backoff(item), f"network: {type(error).__name__}: {error}"[:500])
        except Exception as error:
            logger.exception("sending outbox item %s to Slack failed", item.item_id)
            return PermanentFailure(f"unexpected: {type(error).__name__}: {error}"[:500])
        return Delivered()

    def free_channel(self, item: OutboxItem, now: datetime) -> FreeChannel | None:
        """The response_url of the request ``item`` answers, while it may still take posts at ``now``."""
        route = response_destination(item.reply, item.context)
        if route is None:
            return None
        issued = _issued_at(item.context)
        if issued is not None and now >= issued + RESPONSE_URL_LIFETIME - RESPONSE_URL_MARGIN:
            return None  # expired (or about to): the Web API, within the limits
        # Keyed by a digest: the URL itself is a credential to post as the app, kept out of memory dumps and logs.
        key = "slack-response-url:" + hashlib.sha256(route.url.encode()).hexdigest()[:32]
        return FreeChannel(key, RESPONSE_URL_BUDGET, cost=len(messages(item.reply)))

    async def send_free(self, item: OutboxItem, channel: FreeChannel) -> SendOutcome | ChannelClosed:
        """Post ``item.reply`` to its request's response_url; ``ChannelClosed`` when Slack takes nothing there.

        Used up (5 posts), expired (30 minutes) or refused (any other 4xx) is ``ChannelClosed``: the
        dispatcher then sends it through the Web API. Slack's own trouble (429, 5xx) and network errors
        are ``RetryLater``, as with the Web API. Never raises.
        """
        route = response_destination(item.reply, item.context)
        if route is None:
            return ChannelClosed("the reply answers no request here")
        try:
            for number, message in enumerate(messages(item.reply)):
                status, body = await self._respond(route.url, message, route.response_type)
                if status == 200:
                    continue
                if status == 429 or status >= 500:
                    return RetryLater(DEFAULT_RETRY_AFTER if status == 429 else self._backoff(item),
                                      f"response_url: {status} {body}"[:500])
                if number > 0:
                    logger.info("response_url closed after %d of a reply's messages; the rest go by the Web API, "
                                "and the first ones again", number)
                return ChannelClosed(f"response_url answered {status} {body}"[:500])
        except (aiohttp.ClientError, TimeoutError) as error:
            return RetryLater(self._backoff(item), f"network: {type(error).__name__}: {error}"[:500])
        except Exception as error:
            logger.exception("posting outbox item %s to its response_url failed", item.item_id)
            return PermanentFailure(f"unexpected: {type(error).__name__}: {error}"[:500])
        return Delivered()

    def _backoff(self, item: OutboxItem) -> float:
        return float(min(self._max_backoff, self._base_backoff * 2 ** min(item.attempts, 30)))

    async def _post(self, target: ToChannel | ToEphemeral | ToDirect,
                    message: SlackMessage) -> ToChannel | ToEphemeral | ToDirect:
        """Send one message; returns where the next one of the same reply goes (a DM once opened, ...)."""
        if isinstance(target, ToDirect):
            opened = await self._client.conversations_open(users=target.user)
            channel = opened.get("channel") or {}
            target = ToChannel(str(channel["id"]))
        if isinstance(target, ToEphemeral):
            await self._client.chat_postEphemeral(channel=target.channel, user=target.user, **message.kwargs())
            return target
        try:
            await self._client.chat_postMessage(channel=target.channel, **message.kwargs())
        except SlackApiError as error:
            if target.response_url is None or error.response.get("error") not in NOT_A_MEMBER_ERRORS:
                raise
            status, body = await self._respond(target.response_url, message, "in_channel")
            if status != 200:
                logger.info("response_url answered %s %s", status, body)
                raise
        return target

    async def _respond(self, url: str, message: SlackMessage, response_type: str) -> tuple[int, str]:
        """POST ``message`` to a response_url; Slack's HTTP status and body."""
        webhook = AsyncWebhookClient(url, timeout=self._response_url_timeout)
        # replace_original=False: without it a press's answer would replace the (public) message it was on.
        response = await webhook.send(text=message.text, blocks=list(message.blocks), response_type=response_type,
                                      replace_original=False)
        return response.status_code, str(response.body)[:200]

    def _api_failure(self, error: SlackApiError, item: OutboxItem) -> SendOutcome:
        response = error.response
        code = str(response.get("error") or "unknown_error")
        if response.status_code == 429:
            return RetryLater(_retry_after(response.headers), f"rate limited: {code}")
        if code in TRANSIENT_ERRORS or response.status_code >= 500:
            return RetryLater(self._backoff(item), f"slack: {code}")
        return PermanentFailure(f"slack: {code}")


def _retry_after(headers: object) -> float:
    value = None
    if isinstance(headers, dict):
        value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    elif headers is not None:
        value = getattr(headers, "get", lambda _key: None)("Retry-After")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(0.0, float(str(value)))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def _issued_at(context: Mapping[str, str]) -> datetime | None:
    """When Slack sent the request (its signed timestamp, kept by the intake), or None if unknown."""
    value = context.get("issued_at", "")
    if not _TIMESTAMP.fullmatch(value):
        return None
    return datetime.fromtimestamp(int(value), UTC)
