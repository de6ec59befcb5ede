"""Slack → inbox: a Bolt app whose listeners store each update before acknowledging it, and its HTTP route.

The app runs with ``process_before_response=True``: Bolt answers Slack only after the listener has
finished (by default it would acknowledge Events API deliveries before the listener even starts). Each
listener translates the payload, awaits ``inbox.put`` and only then ``ack()``. If ``put`` raises, the
listener never acks and Bolt answers 500, so Slack delivers again (Events API retries; a slash command
shows the user an error to try again). A redelivery (same update key, ``X-Slack-Retry-Num``) finds
``put`` returning False and is simply acknowledged. Payloads that are not for the bot (other bots,
edits, channel chatter) are acknowledged and not stored. The route checks every request's signature on
the raw bytes before anything parses them (``bots.slack.signature``), refusing bad or older-than-5-minutes
ones with 401 in the error envelope; Bolt checks it again before any listener runs.

The acknowledgement is always empty: commands and presses are answered afterwards, through the
request's response_url, by the outbox (see ``bots.slack.sender`` for why not in the acknowledgement).
Their context keeps the request's signed timestamp as ``issued_at``: a response_url lasts 30 minutes
from then.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.people import SlackUserNames
from bots.slack.render import ACTION_ID_PREFIX
from bots.slack.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureRefused, SlackSignature
from bots.slack.translate import Translated, translate_action, translate_command, translate_message
from core.chat import ChatEvent
from core.clock import Clock
from core.envelope import error_body
from core.json_depth import too_deep

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
    async def slash_command(ack: AsyncAck, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        translated = translate_command(body)
        if translated is not None:
            # The command names only the handle ("ann"); the queue shows the name people see ("Ann Lee").
            user = await people.user(translated[0].person.user_id)
            if user is not None:
                translated = translate_command(body, name=user.name)
        await _store_then_ack(inbox, _issued(translated, request), ack)

    @app.action(re.compile(re.escape(ACTION_ID_PREFIX) + r".*"))
    async def button_pressed(ack: AsyncAck, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        await _store_then_ack(inbox, _issued(translate_action(body), request), ack)

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


def slack_router(app: AsyncApp, signing_secret: str, clock: Clock) -> APIRouter:
    """``POST /slack/events``: the one Request URL for slash commands, interactivity and the Events API.

    The signature is checked here on the raw bytes with ``clock``'s time, before Bolt (or anything else)
    parses them: unsigned, wrongly signed or stale requests get 401 and a body that is not what Slack sends
    (after a valid signature) 400, both in the error envelope. The server's access line already says so; the
    reason is logged at DEBUG, so a flood of garbage costs one line a request. Bolt checks again.
    """
    signature = SlackSignature(signing_secret, clock)
    router = APIRouter(prefix="/slack", tags=["slack"])

    # Left out of the OpenAPI schema: only Slack, signing its requests, calls it.
    @router.post("/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        try:
            signature.check(body, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER))
        except SignatureRefused as refused:
            logger.debug("Slack request refused: %s", refused)
            return _envelope(401, "unauthorized", str(refused))
        bolt_request = _bolt_request(request, body)
        if bolt_request is None:
            logger.debug("Slack request refused: a signed body Slack would not send")
            return _envelope(400, "validation-error", "The body is not a Slack request.")
        answer = await app.async_dispatch(bolt_request)
        if answer.status >= 400:
            # Bolt's own refusals are plain text ("not found" for a button no listener knows): say it our way.
            code, message = _BOLT_REFUSALS.get(answer.status, ("error", "The request could not be handled."))
            return _envelope(answer.status, code, message)
        return to_starlette_response(answer)

    return router


def _bolt_request(request: Request, body: bytes) -> AsyncBoltRequest | None:
    """The request as Bolt reads it, or None when Bolt could not read it (it would answer 500)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Bolt parses JSON bodies, and the JSON in a form's ``payload`` field, recursively: measure first.
    content_type = request.headers.get("content-type", "").split(";")[0]
    json_text = text if content_type == "application/json" or text.startswith("{") else \
        dict(parse_qsl(text, keep_blank_values=True)).get("payload", "") if "payload" in text else ""
    if too_deep(json_text):
        return None
    try:
        bolt_request = AsyncBoltRequest(body=text, query=request.query_params, headers=request.headers)  # type: ignore[arg-type]
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        return None
    return bolt_request if isinstance(bolt_request.body, dict) else None


_BOLT_REFUSALS = {
    401: ("unauthorized", "The request is not signed by Slack."),
    404: ("not-found", "Nothing here handles this request."),
    500: ("internal-error", "The request could not be stored; Slack may send it again."),
}


def _envelope(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status)


def _issued(translated: Translated | None, request: AsyncBoltRequest) -> Translated | None:
    """``translated`` with the request's signed timestamp in its context as ``issued_at`` (checked already)."""
    if translated is None:
        return None
    stamps = request.headers.get(TIMESTAMP_HEADER.lower()) or []
    stamp = stamps[0] if stamps else ""
    event, context = translated
    return (event, {**context, "issued_at": stamp}) if stamp.isascii() and stamp.isdigit() else translated


async def _store_then_ack(inbox: UpdateInbox, translated: Translated | None, ack: AsyncAck) -> None:
    if translated is not None:
        event, context = translated
        if not await inbox.put(event, context):
            logger.info("Slack redelivered %s; already stored", event.update_key)
    await ack()
