"""Answering a button press on the press's own channel, which costs no message.

Telegram wants every button press answered (``answerCallbackQuery``; until then the button spins), and
that answer may carry a short text shown to the presser alone (a toast). It counts against no chat's or
group's limits, so an answer only the presser needs is better said there than as a group message.

An adapter that stores a press puts the platform's id for its answer in the inbox context under
``PRESS``. The inbox worker then queues exactly one *press answer* for it, marked ``ANSWERS_PRESS`` in
its outbox context: the press's first reply when that is a toast (``toastable``), else an empty answer
that only stops the spinner, queued beside the replies. A press answer the platform refuses for good (it
came too late: "query is too old") is said as an ordinary message instead, so nothing is lost; an empty
one then simply lapses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.chat import ChatEvent, Person, Pressed, Reply
from core.delivery.limits import PRESS_ANSWER_MAX
from core.delivery.ports import OutboxItem, Outgoing

# Inbox context: the platform's id of the press to answer (an adapter sets it on storing a press).
PRESS = "press"
# Outbox context: this row is said as the answer to the press ``PRESS`` names, not as a message.
ANSWERS_PRESS = "answers_press"


def toastable(reply: Reply, event: Pressed, limit: int) -> bool:
    """Whether ``reply`` may be the answer to the press ``event``: only the presser needs it, it stays in
    the press's room, and it is plain text of at most ``limit`` characters (no buttons to show)."""
    text = reply.text.strip()
    return (
        reply.ephemeral
        and reply.room == event.room
        and reply.to_person is not None
        and reply.to_person.key == event.person.key
        and not reply.buttons
        and bool(text)
        and len(text) <= limit
    )


def press_of(event: ChatEvent, context: Mapping[str, str]) -> str | None:
    """The platform's id of the press to answer, when ``event`` is a press its platform wants answered."""
    if not isinstance(event, Pressed) or event.room.platform not in PRESS_ANSWER_MAX:
        return None
    return context.get(PRESS) or None


def with_press_answer(event: ChatEvent, outgoing: Sequence[Outgoing], context: Mapping[str, str],
                      *, toasts: bool = True) -> list[Outgoing]:
    """``outgoing`` (an event's replies, as queued) with the press's one answer, when ``event`` needs one.

    The first toastable reply becomes the answer (with ``toasts``); failing that an empty answer is added,
    keyed by the update like the replies, so handling the press again queues nothing new.
    """
    press = press_of(event, context)
    if press is None or not isinstance(event, Pressed):
        return list(outgoing)
    answered = {**context, ANSWERS_PRESS: "1"}
    limit = PRESS_ANSWER_MAX[event.room.platform]
    rows = list(outgoing)
    for index, row in enumerate(rows):
        if toasts and toastable(row.reply, event, limit):
            rows[index] = Outgoing(row.key, row.platform, row.reply, answered)
            return rows
    platform = event.room.platform
    # Whom it answers, by id only: it says nothing, and it must not keep a name a /forgetme just erased.
    empty = Reply(event.room, Person(event.person.platform, event.person.user_id, ""), "", ephemeral=True)
    return [Outgoing(f"{platform}:{event.update_key}:press", platform, empty, answered), *rows]


def answers_press(item: OutboxItem | Outgoing) -> str | None:
    """The id of the press ``item`` is said as the answer to, or None for an ordinary message."""
    if item.context.get(ANSWERS_PRESS) != "1":
        return None
    return item.context.get(PRESS) or None


def as_message(context: Mapping[str, str]) -> dict[str, str]:
    """``context`` of a press answer that is to be said as an ordinary message instead."""
    return {key: value for key, value in context.items() if key != ANSWERS_PRESS}
