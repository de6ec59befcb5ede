"""Coalescing: replies waiting for one group room go out together as one message.

A group room may take only so many messages a minute (Telegram: 20), so forty singers answered one
message each wait minutes. When several short answers wait for the same group room, they are sent
as one message instead: a list, one line per singer (``Ann: Queued Africa — Toto. You're 3rd, about
9 min.``), each singer mentioned by the platform so their client notifies them. A message is split
only where it would exceed the platform's length limit.

Only *short answers addressed to one person in a group room* merge: no buttons (a keyboard belongs
to its own message), a single line, not a call to someone (``mention``: a reminder that a singer is
up next is a message of its own, which notifies them as it always did). Everything else keeps its
own message, in order. An ephemeral answer may merge: coalescing is only offered by platforms that
show it to the room anyway (Telegram); Slack's private answers go their own way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.chat import Reply
from core.delivery.ports import OutboxItem

# A reply longer than this is not "one short line" and keeps its own message.
MAX_LINE = 300


def mergeable(reply: Reply) -> bool:
    """Whether ``reply`` may share a message with other answers in its room."""
    return (
        reply.room is not None
        and not reply.room.private
        and reply.to_person is not None
        and not reply.buttons
        and not reply.mention
        and bool(reply.text.strip())
        and "\n" not in reply.text
        and len(reply.text) <= MAX_LINE
    )


def line_of(reply: Reply) -> tuple[str, str]:
    """The line for ``reply`` in a coalesced message: (who it is for, what it says).

    The adapter shows ``who`` as a mention (a link to the person) followed by ``": "`` and the text.
    """
    person = reply.to_person
    return (person.name if person is not None and person.name else "?"), reply.text.strip()


def line_text(reply: Reply) -> str:
    """The line as the reader sees it: ``"Ann: Queued Africa — Toto. You're 3rd, about 9 min."``."""
    who, said = line_of(reply)
    return f"{who}: {said}"


def coalesce(
    items: Sequence[OutboxItem], *, limit: int, measure: Callable[[str], int] = len,
    alone: Callable[[OutboxItem], bool] = lambda _: False,
) -> list[list[OutboxItem]]:
    """``items`` (one chat's replies, in order) grouped into the messages that will say them, in order.

    Consecutive mergeable replies form one message, closed early only when one more line would take
    its text (lines joined by newlines, as ``measure`` counts them) beyond ``limit``; any other reply,
    or one ``alone`` names, is a message of its own, so the order of the chat is kept. A single
    mergeable reply stays a group of one (sent as it is).
    """
    messages: list[list[OutboxItem]] = []
    current: list[OutboxItem] = []
    used = 0
    for item in items:
        if not mergeable(item.reply) or alone(item):
            if current:
                messages.append(current)
                current, used = [], 0
            messages.append([item])
            continue
        size = measure(line_text(item.reply))
        extra = size if not current else size + measure("\n")
        if current and used + extra > limit:
            messages.append(current)
            current, used, extra = [], 0, size
        current.append(item)
        used += extra
    if current:
        messages.append(current)
    return messages
