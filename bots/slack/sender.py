"""``SlackSender``: delivers one queued ``Reply`` through the Slack Web API and says how it went.

Failures are outcomes, never exceptions: a rate limit (HTTP 429) is ``RetryLater`` after Slack's
``Retry-After``; a dropped connection or timeout is ``RetryLater`` with an exponential back-off; an
error Slack will repeat forever (channel_not_found, not_in_channel, is_archived, user_not_found,
invalid_auth, a malformed message ...) is ``PermanentFailure``. An announcement for a channel the app
is not a member of goes through the command's response_url (``in_channel``) when the reply has one.

A reply split into several messages is sent in order; if a later one fails, a retry sends the
earlier ones again (Slack has no idempotency key for chat.postMessage).
"""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bots.slack.render import SlackMessage, ToChannel, ToDirect, ToEphemeral, ToResponseUrl, render
from core.delivery import Delivered, OutboxItem, PermanentFailure, RetryLater, SendOutcome

logger = logging.getLogger(__name__)

# The app is not in the channel (a slash command works anywhere; chat.postMessage does not).
NOT_A_MEMBER_ERRORS = frozenset({"not_in_channel", "channel_not_found"})
# Errors Slack gives when trying again later can work; any other error is the request's own fault.
TRANSIENT_ERRORS = frozenset({
    "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
    "team_added_to_org", "accesslimited",
})
DEFAULT_RETRY_AFTER = 1.0


class SlackSender:
    """Sends replies on Slack with ``client`` (a bot-token ``AsyncWebClient``). Implements ``core.delivery.Sender``."""

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
            seconds = min(self._max_backoff, self._base_backoff * 2 ** min(item.attempts, 30))
            return RetryLater(seconds, f"network: {type(error).__name__}: {error}"[:500])
        except Exception as error:
            logger.exception("sending outbox item %s to Slack failed", item.item_id)
            return PermanentFailure(f"unexpected: {type(error).__name__}: {error}"[:500])
        return Delivered()

    async def _post(self, target: ToChannel | ToEphemeral | ToResponseUrl | ToDirect,
                    message: SlackMessage) -> ToChannel | ToEphemeral | ToResponseUrl | ToDirect:
        """Send one message; returns where the next one of the same reply goes (a DM once opened, ...)."""
        if isinstance(target, ToDirect):
            opened = await self._client.conversations_open(users=target.user)
            channel = opened.get("channel") or {}
            target = ToChannel(str(channel["id"]))
        if isinstance(target, ToResponseUrl):
            if await self._respond(target.url, message):
                return target
            target = target.fallback  # used up or expired: Slack allows 5 posts in 30 minutes
        if isinstance(target, ToEphemeral):
            await self._client.chat_postEphemeral(channel=target.channel, user=target.user, **message.kwargs())
            return target
        try:
            await self._client.chat_postMessage(channel=target.channel, **message.kwargs())
        except SlackApiError as error:
            if target.response_url is None or error.response.get("error") not in NOT_A_MEMBER_ERRORS:
                raise
            if not await self._respond(target.response_url, message, response_type="in_channel"):
                raise
        return target

    async def _respond(self, url: str, message: SlackMessage, response_type: str = "ephemeral") -> bool:
        webhook = AsyncWebhookClient(url, timeout=self._response_url_timeout)
        # replace_original=False: without it a press's answer would replace the (public) message it was on.
        response = await webhook.send(text=message.text, blocks=list(message.blocks), response_type=response_type,
                                      replace_original=False)
        if response.status_code == 200:
            return True
        logger.info("response_url answered %s %s", response.status_code, response.body)
        return False

    def _api_failure(self, error: SlackApiError, item: OutboxItem) -> SendOutcome:
        response = error.response
        code = str(response.get("error") or "unknown_error")
        if response.status_code == 429:
            return RetryLater(_retry_after(response.headers), f"rate limited: {code}")
        if code in TRANSIENT_ERRORS or response.status_code >= 500:
            seconds = min(self._max_backoff, self._base_backoff * 2 ** min(item.attempts, 30))
            return RetryLater(seconds, f"slack: {code}")
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
