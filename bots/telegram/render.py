"""Neutral replies out as ``Bot.send_message`` keyword arguments: plain text, split to fit, buttons below."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, User

from core.chat import Reply
from core.delivery.coalesce import line_of

# Telegram's limit on a message's text, counted in UTF-16 code units.
MAX_TEXT = 4096
# Telegram's limit on the text of a callback answer.
MAX_PRESS_ANSWER = 200
# Longer press answers are shown as an alert the presser closes, not a notification that fades: a fading
# one is gone before two lines are read.
ALERT_FROM = 90


def render(reply: Reply, *, limit: int = MAX_TEXT) -> list[dict[str, Any]]:
    """The messages that say ``reply``, in order; the buttons go under the last one.

    ``chat_id`` is the reply's room, or the person's private chat (chat id == user id) when the
    reply has no room. Text is sent as-is (no parse mode, so nothing needs escaping). Text longer
    than Telegram allows is split into several messages on line boundaries, never refused.
    """
    if reply.room is not None:
        chat_id = _chat_id(reply.room.room_id)
    elif reply.to_person is not None:
        chat_id = _chat_id(reply.to_person.user_id)
    else:
        raise ValueError("a reply needs a room or a person to go to")
    text = reply.text
    if reply.mention and reply.to_person is not None and reply.room is not None and not reply.room.private:
        person = reply.to_person
        text = f"@{person.username} {text}" if person.username else f"{person.name}: {text}"
    parts = split_text(text, limit)
    if not parts:
        if not reply.buttons:
            return []
        parts = ["…"]  # Telegram refuses empty text, and the buttons need a message to sit under
    messages: list[dict[str, Any]] = [{"chat_id": chat_id, "text": part} for part in parts]
    if reply.buttons:
        keyboard = [[InlineKeyboardButton(button.label, callback_data=button.data)] for button in reply.buttons]
        messages[-1]["reply_markup"] = InlineKeyboardMarkup(keyboard)
    return messages


def render_together(replies: Sequence[Reply]) -> dict[str, Any]:
    """One message saying several short answers to one group room, one line each, in order.

    Each line starts with its singer's name as a text mention (a link to the user, which notifies
    them even without a username), then ``": "`` and the answer. No parse mode: the mentions are
    entities, so nothing needs escaping. The caller keeps the text within ``MAX_TEXT``
    (``core.delivery.coalesce`` groups the lines so).
    """
    if not replies or replies[0].room is None:
        raise ValueError("coalesced replies need a room")
    lines: list[str] = []
    entities: list[MessageEntity] = []
    offset = 0
    for reply in replies:
        who, said = line_of(reply)
        person = reply.to_person
        if person is not None and person.user_id.isdigit():
            user = User(id=int(person.user_id), first_name=person.name or who, is_bot=False,
                        username=person.username)
            entities.append(MessageEntity(MessageEntity.TEXT_MENTION, offset, _units(who), user=user))
        line = f"{who}: {said}"
        lines.append(line)
        offset += _units(line) + 1  # and the newline
    return {"chat_id": _chat_id(replies[0].room.room_id), "text": "\n".join(lines), "entities": entities}


def render_press_answer(query_id: str, text: str) -> dict[str, Any]:
    """``Bot.answer_callback_query`` keyword arguments: ``text`` shown to the presser (empty: only stop the
    spinner), as an alert when it is long. The caller keeps it within ``MAX_PRESS_ANSWER``."""
    answer: dict[str, Any] = {"callback_query_id": query_id}
    text = text.strip()
    if text:
        answer["text"] = text
        if _units(text) > ALERT_FROM:
            answer["show_alert"] = True
    return answer


def measure(text: str) -> int:
    """The length of ``text`` as Telegram counts it (UTF-16 code units)."""
    return _units(text)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` UTF-16 units, at line ends where possible.

    A single line longer than the limit is cut at its last space that fits, or mid-word as a last resort.
    Blank pieces are dropped (Telegram refuses empty messages).
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    if _units(text) <= limit:
        return [text] if text.strip() else []
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if _units(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            pieces.append(current)
        current = ""
        while _units(line) > limit:
            head, line = _cut(line, limit)
            if head.strip():
                pieces.append(head)
        current = line
    if current.strip():
        pieces.append(current)
    return pieces


def _cut(line: str, limit: int) -> tuple[str, str]:
    # Find the longest prefix within the limit, counting UTF-16 units (emoji take two).
    end, used = 0, 0
    for end, char in enumerate(line):  # noqa: B007 - end is used after the loop
        used += _units(char)
        if used > limit:
            break
    else:
        return line, ""
    space = line.rfind(" ", 0, end + 1)
    if space > 0:
        return line[:space], line[space + 1:]
    return line[:end], line[end:]


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _chat_id(value: str) -> int | str:
    # Telegram chat ids are integers (groups negative); "@channel" names stay strings.
    return int(value) if value.lstrip("-").isdigit() else value
