"""Slack payloads → ``Said``/``Pressed``: slash commands, button presses and direct messages.

Each function returns ``(event, context)`` or ``None`` when the payload is not for the bot. ``context``
keeps what a reply needs from Slack: ``response_url`` (where the answers to a command or press go, valid
30 minutes / 5 posts), ``channel`` (where it happened), ``user`` (who asked: only they may see an
ephemeral answer posted to the response_url) and ``source`` (command, block_actions, message). The
intake adds ``issued_at``, when Slack sent the request (the response_url's 30 minutes start then).

Update keys (unique per platform, so a redelivery is stored once; at most 200 characters):

- slash command → ``command:<trigger_id>``. Slack gives commands no id and never retries them itself,
  but every invocation carries a fresh ``trigger_id``, and a resent request repeats it. Without one the
  key is a digest of the invocation's unique ``response_url``.
- button press → ``action:<user>:<action_ts>:<message_ts or trigger_id>``: one press of one button.
- direct message (Events API) → ``event:<event_id>``; Slack's retries repeat the ``event_id``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from core.chat import ChatEvent, Person, Pressed, Room, Said, clean_name

PLATFORM = "slack"
MAX_UPDATE_KEY = 200
# <@U123|alice>, <#C123|general>, <https://x|label>, <!here>: Slack's escaped references in text.
_REFERENCE = re.compile(r"<([^<>]*)>")

Translated = tuple[ChatEvent, dict[str, str]]


def translate_command(body: Mapping[str, Any], *, name: str | None = None) -> Translated | None:
    """``/karaoke <sub> <args>`` → ``Said("/<sub> <args>")``; an empty command is ``/help``.

    ``name`` is the name people see, when the caller looked it up (the command carries only the handle).
    """
    user_id, channel_id = _text(body.get("user_id")), _text(body.get("channel_id"))
    if not user_id or not channel_id:
        return None
    # "/karaoke /join X" and "/karaoke join X" mean the same.
    words = plain_text(_text(body.get("text"))).strip().lstrip("/")
    handle = clean_name(_text(body.get("user_name")))
    person = Person(PLATFORM, user_id, clean_name(name) or handle or user_id, handle or None)
    channel_name = _text(body.get("channel_name"))
    room = Room(PLATFORM, channel_id, private=channel_id.startswith("D") or channel_name == "directmessage")
    trigger_id = _text(body.get("trigger_id"))
    unique = trigger_id or "url-" + _digest(_text(body.get("response_url")) or repr(sorted(body.items())))
    said = Said(person, room, f"/{words}" if words else "/help", _key("command", unique))
    return said, _context("command", channel_id, user_id, body.get("response_url"))


def translate_action(body: Mapping[str, Any]) -> Translated | None:
    """A ``block_actions`` press of one of the bot's buttons → ``Pressed(data=<button value>)``."""
    actions = body.get("actions") or []
    user = body.get("user") or {}
    container = body.get("container") or {}
    channel = body.get("channel") or {}
    if not actions or not isinstance(actions[0], Mapping) or not isinstance(user, Mapping):
        return None
    action = actions[0]
    user_id = _text(user.get("id"))
    channel_id = _text(channel.get("id") if isinstance(channel, Mapping) else "") or _text(
        container.get("channel_id") if isinstance(container, Mapping) else "")
    if not user_id or not channel_id or action.get("value") is None:
        return None
    username = clean_name(_text(user.get("username")) or _text(user.get("name")))
    person = Person(PLATFORM, user_id, clean_name(_text(user.get("name"))) or username or user_id, username or None)
    channel_name = _text(channel.get("name")) if isinstance(channel, Mapping) else ""
    room = Room(PLATFORM, channel_id, private=channel_id.startswith("D") or channel_name == "directmessage")
    message_ts = _text(container.get("message_ts")) if isinstance(container, Mapping) else ""
    where = message_ts or _text(body.get("trigger_id"))
    key = _key("action", f"{user_id}:{_text(action.get('action_ts'))}:{where}")
    return Pressed(person, room, _text(action.get("value")), key), _context(
        "block_actions", channel_id, user_id, body.get("response_url"))


def translate_message(body: Mapping[str, Any], *, name: str | None = None,
                      username: str | None = None) -> Translated | None:
    """A direct message to the bot (``channel_type`` "im", no subtype, from a person) → ``Said``.

    ``name``/``username`` are the sender's, when the caller looked them up (message events carry only
    the user id).
    """
    event = body.get("event") or {}
    if not isinstance(event, Mapping) or event.get("type") != "message":
        return None
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return None
    user_id, channel_id, event_id = _text(event.get("user")), _text(event.get("channel")), _text(body.get("event_id"))
    if not user_id or not channel_id or not event_id:
        return None
    handle = clean_name(username)
    person = Person(PLATFORM, user_id, clean_name(name) or handle or user_id, handle or None)
    room = Room(PLATFORM, channel_id, private=True)
    said = Said(person, room, plain_text(_text(event.get("text"))), _key("event", event_id))
    return said, _context("message", channel_id, user_id, None)


def plain_text(text: str) -> str:
    """Slack's escaped message text as typed: ``<@U1|ann>`` → ``@ann``, ``&amp;`` → ``&``, links → their text."""

    def reference(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return f"@{label or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            return f"@{label or target[1:].split('^')[0]}"
        return label or target

    text = _REFERENCE.sub(reference, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _context(source: str, channel: str, user: str, response_url: object) -> dict[str, str]:
    context = {"source": source, "channel": channel, "user": user}
    if isinstance(response_url, str) and response_url:
        context["response_url"] = response_url
    return context


def _key(kind: str, unique: str) -> str:
    key = f"{kind}:{unique}"
    # The inbox column holds 200 characters; a digest keeps an overlong key unique and stable.
    return key if len(key) <= MAX_UPDATE_KEY else f"{kind}:sha256:{_digest(unique)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
