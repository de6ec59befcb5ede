"""``ChatDirectory``: the chat-side state the rotation does not hold, as a small async port.

Every method is a single-row read or an idempotent upsert, so a SQL backing is a handful of tables::

    chat_people(platform, user_id, name, username NULL, stage_name NULL, current_show NULL,
                private_room NULL, muted)
        PRIMARY KEY (platform, user_id); INDEX (platform, lower(username))
    chat_rooms(platform, room_id, show_id)            PRIMARY KEY (platform, room_id)
    chat_kjs(show_id, platform, user_id)              PRIMARY KEY (show_id, platform, user_id)
    chat_choices(token, platform, user_id, show_id, action, arg, expires_at)   PRIMARY KEY (token)

Expired choices may be deleted by a periodic sweep; ``get_choice`` returns them anyway and the bot
checks ``expires_at`` itself, so a sweep is optional.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.chat.vocabulary import Person, Room


@dataclass(frozen=True, slots=True)
class Choice:
    """What a button stands for: ``action`` with ``arg`` in ``show_id``, pressable only by its owner until expiry.

    Actions the bot makes: ``"request"`` (arg = song id); ``"cancel"``, ``"onmyway"`` and ``"skipme"``
    (arg = request id); ``"kjskip"`` and ``"kjwait"`` (arg = request id, for the no-show prompt); ``"fav"``
    (arg = song id); ``"addfor"`` (arg = ``song id:name``, a KJ signing a walk-in up).
    """

    token: str
    platform: str
    user_id: str
    show_id: str
    action: str
    arg: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Reach:
    """How to reach a known person: their details, their private chat with the bot if they opened one,
    and whether they muted their reminders."""

    person: Person
    private_room: Room | None
    muted: bool


class ChatDirectory(Protocol):
    """Rooms bound to shows, people's current show, KJs, known people, stage names and button choices."""

    async def bind_room(self, room: Room, show_id: str) -> None:
        """From now on messages in ``room`` belong to ``show_id`` (replacing any earlier binding)."""
        ...

    async def show_of_room(self, room: Room) -> str | None:
        """The show ``room`` is bound to (open or closed), or None."""
        ...

    async def set_current_show(self, person: Person, show_id: str) -> None:
        """Remember ``show_id`` as the show ``person`` takes part in (replacing any earlier one)."""
        ...

    async def current_show(self, person: Person) -> str | None:
        """The show ``person`` last joined or spoke in, or None."""
        ...

    async def add_kj(self, show_id: str, person: Person) -> None:
        """Make ``person`` a KJ of ``show_id`` (adding an existing KJ again changes nothing)."""
        ...

    async def is_kj(self, show_id: str, person: Person) -> bool:
        """Whether ``person`` (by ``(platform, user_id)``) is a KJ of ``show_id``."""
        ...

    async def remember_person(self, person: Person) -> None:
        """Record or refresh ``person``'s display name and username (keyed by ``(platform, user_id)``)."""
        ...

    async def find_person(self, platform: str, username: str) -> Person | None:
        """The known person on ``platform`` whose username is ``username`` (no "@", case-insensitive), or None."""
        ...

    async def set_stage_name(self, person: Person, stage_name: str) -> None:
        """Remember the name ``person`` wants on the screen."""
        ...

    async def stage_name(self, person: Person) -> str | None:
        """The stage name ``person`` chose, or None if they never did."""
        ...

    async def remember_private_room(self, person: Person, room: Room) -> None:
        """``room`` is ``person``'s private chat with the bot, where reminders can reach them; ``person`` is
        remembered with it, as ``remember_person`` does."""
        ...

    async def set_muted(self, person: Person, muted: bool) -> None:
        """Turn ``person``'s reminders off (True) or on again."""
        ...

    async def reach(self, platform: str, user_id: str) -> Reach | None:
        """How to reach the person ``(platform, user_id)``, or None if they never wrote to the bot."""
        ...

    async def kjs_of(self, show_id: str) -> list[tuple[str, str]]:
        """The ``(platform, user_id)`` of every KJ of ``show_id``."""
        ...

    async def rooms_of(self, show_id: str) -> list[Room]:
        """The group rooms bound to ``show_id``."""
        ...

    async def save_choices(self, choices: Sequence[Choice]) -> None:
        """Store each choice under its token (tokens are unique random strings), all in one write."""
        ...

    async def get_choice(self, token: str) -> Choice | None:
        """The choice stored under ``token`` (even if expired), or None."""
        ...
