"""Slack → inbox: a Bolt app whose listeners store each update before acknowledging it, and its HTTP route.

The app runs with ``process_before_response=True``: Bolt answers Slack only after the listener has
finished (by default it would acknowledge Events API deliveries before the listener even starts). Each
listener translates the payload, awaits ``inbox.put`` and only then ``ack()``. If ``put`` raises, the
listener never acks and Bolt answers 500, so Slack delivers again (Events API retries; a slash command
shows the user an error to try again). A redelivery (same update key, ``X-Slack-Retry-Num``) finds
``put`` returning False and is simply acknowledged. Payloads that are not for the bot (other bots,
edits, channel chatter) are acknowledged and not stored. Bolt checks every request's signature and
refuses bad or older-than-5-minutes ones with 401 before any listener runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.people import SlackUserNames
from bots.slack.render import ACTION_ID_PREFIX
from bots.slack.translate import Translated, translate_action, translate_command, translate_message
from core.chat import ChatEvent

logger = logging.getLogger(__name__)

COMMAND = "/karaoke"


class UpdateInbox(Protocol):
    """The one thing Slack intake needs of ``core.delivery.Inbox``: each request stores one event, once."""

    async def put(self, event: ChatEvent, context: Mapping[str, str] | None = None) -> bool:
        """Store ``event``; False when it was already stored (a redelivery)."""
        ...


def build_slack_app(inbox: UpdateInbox, client: AsyncWebClient, signing_secret: str, *, command: str = COMMAND,
                    names: SlackUserNames | None = None) -> AsyncApp:
    """A Bolt app that puts ``command``, presses of the bot's buttons and direct messages into ``inbox``.

    ``client`` carries the bot token (Bolt authorizes with it); ``names`` looks up who wrote a direct message.
    """
    app = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=True)
    people = names or SlackUserNames(client)

    @app.command(command)
    async def slash_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        translated = translate_command(body)
        if translated is not None:
            # The command names only the handle ("ann"); the queue shows the name people see ("Ann Lee").
            user = await people.user(translated[0].person.user_id)
            if user is not None:
                translated = translate_command(body, name=user.name)
        await _store_then_ack(inbox, translated, ack)

    @app.action(re.compile(re.escape(ACTION_ID_PREFIX) + r".*"))
    async def button_pressed(ack: AsyncAck, body: dict[str, Any]) -> None:
        await _store_then_ack(inbox, translate_action(body), ack)

    # Every message event lands here (subtypes too): an unmatched event would get Bolt's 404 and be retried.
    @app.event("message")
    async def message(ack: AsyncAck, body: dict[str, Any]) -> None:
        translated = translate_message(body)
        if translated is not None:
            user = await people.user(translated[0].person.user_id)
            if user is not None:
                translated = translate_message(body, name=user.name, username=user.handle)
        await _store_then_ack(inbox, translated, ack)

    return app


def slack_router(app: AsyncApp) -> APIRouter:
    """``POST /slack/events``: the one Request URL for slash commands, interactivity and the Events API."""
    handler = AsyncSlackRequestHandler(app)
    router = APIRouter(prefix="/slack", tags=["slack"])

    # Left out of the OpenAPI schema: only Slack, signing its requests, calls it.
    @router.post("/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    return router


async def _store_then_ack(inbox: UpdateInbox, translated: Translated | None, ack: AsyncAck) -> None:
    if translated is not None:
        event, context = translated
        if not await inbox.put(event, context):
            logger.info("Slack redelivered %s; already stored", event.update_key)
    await ack()
