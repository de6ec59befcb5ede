"""The command table: each ``/command`` with who may run it, checked once here rather than in every handler.

- ``ANYONE``: no show needed (``/join``, ``/help``, ``/open``, ``/redeem``...); ``/open`` checks who may open itself.
- ``SINGER``: someone taking part in a show, by having joined it or by talking in its room; the handler
  gets the show's id (it reads the state only if it needs it).
- ``KJ``: a KJ of an open show; the handler gets the show's state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from core.chat.steps import Steps
from core.chat.vocabulary import Reply, Said
from core.rotation import ShowState

# Every command the conversation knows, as people type it after the "/" (an adapter whose platform spells
# commands differently, as Slack's "/karaoke request", rewrites these in what the bot says).
COMMAND_NAMES: frozenset[str] = frozenset({
    "start", "join", "request", "search", "queue", "mysongs", "cancel", "name", "mute", "unmute", "help",
    "open", "close", "next", "skip", "pause", "resume", "remove", "move", "undo", "kj", "settings", "redeem",
    "forgetme", "link", "unlink", "add", "again", "fav", "favs", "unfav", "block", "unblock", "history",
    "top",
})


class Who(Enum):
    """Who may run a command."""

    ANYONE = "anyone"
    SINGER = "singer"
    KJ = "kj"


@dataclass(frozen=True, slots=True)
class Asked:
    """One command as asked: the message, what followed the command word, and the show it is about."""

    event: Said
    args: str
    show_id: str | None = None
    state: ShowState | None = None

    @property
    def show(self) -> str:
        """The show's id (commands for singers and KJs always have one)."""
        if self.show_id is None:
            raise RuntimeError("this command was routed without a show")
        return self.show_id

    @property
    def kj_state(self) -> ShowState:
        """The open show's state (KJ commands always have it)."""
        if self.state is None:
            raise RuntimeError("this command was routed without the show's state")
        return self.state


Run = Callable[[Asked], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """``/name``: who may run it and what runs it."""

    name: str
    who: Who
    run: Run


class Router:
    """Finds a command's handler and checks, before it runs, that the asker may run it."""

    def __init__(self, steps: Steps, commands: Iterable[CommandSpec]) -> None:
        """Route to ``commands``; a name given twice is a wiring mistake."""
        self._steps = steps
        self._table: dict[str, CommandSpec] = {}
        for spec in commands:
            if spec.name in self._table:
                raise ValueError(f"/{spec.name} is routed twice")
            if spec.name not in COMMAND_NAMES:
                raise ValueError(f"/{spec.name} is missing from COMMAND_NAMES")
            self._table[spec.name] = spec

    def __contains__(self, name: str) -> bool:
        return name in self._table

    def who(self, name: str) -> Who:
        """Who may run ``/name``."""
        return self._table[name].who

    async def run(self, name: str, event: Said, args: str) -> list[Reply]:
        """Run ``/name`` for ``event`` once the asker's right to it is checked."""
        spec = self._table[name]
        if spec.who is Who.ANYONE:
            return await spec.run(Asked(event, args))
        steps = self._steps
        show_id = await steps.show_id(event)
        if show_id is None:
            raise steps.refuse("not_joined")
        if spec.who is Who.SINGER:
            return await spec.run(Asked(event, args, show_id))
        state = await steps.open_state(show_id)
        if not await steps.directory.is_kj(show_id, event.person):
            raise steps.refuse("only_kj")
        return await spec.run(Asked(event, args, show_id, state))
