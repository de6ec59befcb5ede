"""``Reply`` → Slack: where it goes (a ``Destination``) and the Block Kit messages that carry it.

A reply has up to two ways to go. ``response_destination``: the response_url of the command or button
press it answers, when it answers that request where it was made — ``in_channel`` for what the room may
read, ``ephemeral`` for what only the asker needs. ``destination``: the Web API (chat.postMessage,
chat.postEphemeral, a DM), for everything else and for when the response_url is used up or expired.

Text becomes mrkdwn ``section`` blocks (``&``, ``<``, ``>`` escaped as Slack asks) and buttons one
``actions`` block per 25. Every message also has a plain ``text`` fallback (notifications, screen
readers; slack_sdk warns without one). Long text is split, never refused: a section holds at most
3,000 characters and a message at most 12 sections, which keeps its fallback under Slack's 40,000.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from core.chat import COMMAND_NAMES, Button, Reply

logger = logging.getLogger(__name__)

SECTION_LIMIT = 3000
SECTIONS_PER_MESSAGE = 12
MAX_BLOCKS = 50
BUTTONS_PER_ACTIONS = 25
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ACTION_ID_PREFIX = "karaoke_choice_"
EMPTY_TEXT = "…"  # Slack refuses a message or section without text
# A "/command" the bot knows, standing as a word of its own (not "AC/DC" or a URL's path).
_COMMAND = re.compile(r"(?<![\w/:.])/(" + "|".join(sorted(COMMAND_NAMES, key=len, reverse=True)) + r")\b")


@dataclass(frozen=True, slots=True)
class ToChannel:
    """``chat.postMessage`` into a channel or an open DM.

    ``response_url`` (of the command or press this answers, in the same channel) can still reach a channel
    the app is not a member of, as ``response_type: in_channel``.
    """

    channel: str
    response_url: str | None = None


@dataclass(frozen=True, slots=True)
class ToEphemeral:
    """``chat.postEphemeral``: visible to ``user`` only, in ``channel``."""

    channel: str
    user: str


@dataclass(frozen=True, slots=True)
class ToResponseUrl:
    """Post to a command's or press's response_url: ``in_channel`` (the room sees it) or ``ephemeral`` (the asker)."""

    url: str
    response_type: Literal["in_channel", "ephemeral"]


@dataclass(frozen=True, slots=True)
class ToDirect:
    """A private message: ``conversations.open(users=user)``, then ``chat.postMessage`` there."""

    user: str


Destination = ToChannel | ToEphemeral | ToDirect


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One message: its fallback ``text`` and Block Kit ``blocks``."""

    text: str
    blocks: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def kwargs(self) -> dict[str, Any]:
        """The message arguments of ``chat.postMessage``/``chat.postEphemeral``/a response_url post."""
        return {"text": self.text, "blocks": [dict(block) for block in self.blocks]}


@dataclass(frozen=True, slots=True)
class RenderedReply:
    """A reply as Slack calls: send each of ``messages`` to ``destination``, in order."""

    destination: Destination
    messages: tuple[SlackMessage, ...]


def render(reply: Reply, context: Mapping[str, str] | None = None) -> RenderedReply | None:
    """The Slack form of ``reply``; None when it names nowhere to go (no room and no person)."""
    target = destination(reply, context or {})
    return None if target is None else RenderedReply(target, messages(reply))


def destination(reply: Reply, context: Mapping[str, str]) -> Destination | None:
    """Where ``reply`` goes through the Web API: a DM when it has no room, ephemeral when only its person
    needs it, else the room (with the request's response_url for a channel the app is not a member of)."""
    person = reply.to_person
    if reply.room is None:
        return ToDirect(person.user_id) if person is not None else None
    if reply.ephemeral and person is not None and not reply.room.private:
        return ToEphemeral(reply.room.room_id, person.user_id)
    return ToChannel(reply.room.room_id, None if reply.room.private else _response_url(reply, context))


def response_destination(reply: Reply, context: Mapping[str, str]) -> ToResponseUrl | None:
    """The response_url of the request ``reply`` answers, when the reply may go there; else None.

    Only in the channel the request came from (a response_url answers there alone), and not in a
    direct message (an answer there should stay in the conversation's history: the Web API). What the
    room may read is posted ``in_channel``; an ephemeral reply only when it is for the asker, the one
    person who sees what is posted ``ephemeral`` to their response_url.
    """
    url = _response_url(reply, context)
    if url is None or reply.room is None or reply.room.private:
        return None
    if not reply.ephemeral:
        return ToResponseUrl(url, "in_channel")
    person = reply.to_person
    if person is None or person.user_id != context.get("user"):
        return None
    return ToResponseUrl(url, "ephemeral")


def _response_url(reply: Reply, context: Mapping[str, str]) -> str | None:
    # A response_url answers the request it came with, so it serves only that channel.
    url = context.get("response_url")
    return url if url and reply.room is not None and context.get("channel") == reply.room.room_id else None


def slack_commands(text: str, command: str = "/karaoke") -> str:
    """The bot's commands as Slack people type them: "/request <song>" → "/karaoke request <song>"."""
    return _COMMAND.sub(lambda m: f"{command} {m.group(1)}", text)


def messages(reply: Reply) -> tuple[SlackMessage, ...]:
    """``reply`` as one or more messages: text sections first, its buttons under the last one."""
    text = escape(slack_commands(reply.text))
    if reply.mention and reply.to_person is not None and reply.room is not None and not reply.room.private:
        text = f"<@{escape(reply.to_person.user_id)}> {text}"
    chunks = split_mrkdwn(text) or [EMPTY_TEXT]
    groups = [chunks[i:i + SECTIONS_PER_MESSAGE] for i in range(0, len(chunks), SECTIONS_PER_MESSAGE)]
    out: list[SlackMessage] = []
    for number, group in enumerate(groups):
        blocks: list[dict[str, Any]] = [_section(chunk) for chunk in group]
        if number == len(groups) - 1:
            blocks += _actions(reply.buttons, room=MAX_BLOCKS - len(blocks))
        out.append(SlackMessage("\n".join(group), tuple(blocks)))
    return tuple(out)


def escape(text: str) -> str:
    """Text safe inside mrkdwn: Slack reads ``&``, ``<`` and ``>`` as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_mrkdwn(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Escaped ``text`` in pieces of at most ``limit`` characters, cut at a line end or space if it can be.

    Never cuts inside an ``&amp;``-style entity.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit + 1]  # a separator right at the limit is a clean cut
        cut = window.rfind("\n")
        if cut <= limit // 2:
            cut = window.rfind(" ")
        if cut <= limit // 2:
            cut = limit
            amp = rest.rfind("&", max(0, cut - 4), cut)
            if amp > 0 and ";" not in rest[amp:cut]:
                cut = amp
            pieces.append(rest[:cut])
            rest = rest[cut:]
        else:
            pieces.append(rest[:cut])
            rest = rest[cut + 1:]  # the separator itself is not kept
    if rest.strip():
        pieces.append(rest)
    return [piece for piece in pieces if piece.strip()]


def button_element(index: int, button: Button) -> dict[str, Any]:
    """A Block Kit button whose press comes back as ``block_actions`` with ``action_id`` karaoke_choice_<index>."""
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": button.label[:BUTTON_LABEL_LIMIT] or EMPTY_TEXT},
        "action_id": f"{ACTION_ID_PREFIX}{index}",
        "value": button.data,
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _actions(buttons: tuple[Button, ...], room: int) -> list[dict[str, Any]]:
    elements = []
    for index, button in enumerate(buttons):
        if len(button.data) > BUTTON_VALUE_LIMIT:
            # Core keeps data far shorter (64 bytes); a value Slack would refuse must not sink the message.
            logger.warning("dropping a button whose data is %d characters", len(button.data))
            continue
        elements.append(button_element(index, button))
    blocks = [{"type": "actions", "elements": elements[i:i + BUTTONS_PER_ACTIONS]}
              for i in range(0, len(elements), BUTTONS_PER_ACTIONS)]
    if len(blocks) > room:
        logger.warning("a reply has %d buttons; Slack shows %d", len(elements), room * BUTTONS_PER_ACTIONS)
    return blocks[:room]
