"""Making buttons: each stands for a stored ``Choice`` (an action, its argument, its owner, its expiry).

A button's data is ``c:<token>``, a random token naming the stored choice, so what a press does is
never read from the data a platform hands back (it could be forged) and always fits Telegram's
64-byte limit. Both the conversation and the reminders make their buttons here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import NamedTuple

from core.chat.directory import ChatDirectory, Choice
from core.chat.messages import shortened
from core.chat.vocabulary import Button, Person
from core.clock import Clock

PREFIX = "c:"
LABEL_MAX = 60


class ButtonOption(NamedTuple):
    """A button to make: pressing it does ``action`` with ``arg``; people read ``label``."""

    action: str
    arg: str
    label: str


def new_token() -> str:
    """A fresh unguessable token (16 characters)."""
    return secrets.token_urlsafe(12)


def token_of(data: str) -> str | None:
    """The choice token in a button's data, or None if the data is not one of ours."""
    return data.removeprefix(PREFIX) if data.startswith(PREFIX) and len(data) > len(PREFIX) else None


class ButtonMaker:
    """Stores the choices behind a reply's buttons, for one person, in one write."""

    def __init__(
        self,
        directory: ChatDirectory,
        clock: Clock,
        *,
        new_token: Callable[[], str] = new_token,
        lifetime: timedelta = timedelta(hours=2),
    ) -> None:
        """Buttons last ``lifetime``; ``new_token`` names their choices (tests pass a counter)."""
        self._directory = directory
        self._clock = clock
        self._new_token = new_token
        self._lifetime = lifetime

    async def make(self, person: Person, show_id: str, options: Sequence[ButtonOption]) -> tuple[Button, ...]:
        """Buttons only ``person`` may press, for ``show_id``, one per option, in order."""
        if not options:
            return ()
        expires = self._clock.now() + self._lifetime
        choices = [
            Choice(self._new_token(), person.platform, person.user_id, show_id, option.action, option.arg, expires)
            for option in options
        ]
        await self._directory.save_choices(choices)
        return tuple(
            Button(shortened(option.label, LABEL_MAX), PREFIX + choice.token)
            for choice, option in zip(choices, options, strict=True)
        )
