"""A line-by-line REPL over ``core.chat``: each line is said by the current person in the current room.

Meta-commands start with ":" — ``:as NAME`` (become someone), ``:room NAME`` (a group room) or
``:room private`` (your private chat with the bot), ``:press N`` (press button N of the last answer),
``:who``, ``:help``, ``:quit``. Everything else goes to the bot as a message.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import TextIO

from core.chat import Button, ChatBot, ChatEvent, Person, Pressed, Reply, Room, Said

logger = logging.getLogger(__name__)

PLATFORM = "console"
META_HELP = (
    ":as NAME – become NAME · :room NAME – talk in group room NAME · :room private – your private chat · "
    ":press N – press button N · :who – who and where you are · :quit"
)


class ConsoleChat:
    """Reads lines from ``stdin``, hands them to the bot as the current person, prints the replies."""

    def __init__(self, bot: ChatBot, stdin: TextIO, stdout: TextIO, *, person: str = "host",
                 ready: Callable[[], bool] = lambda: True) -> None:
        self._bot = bot
        self._in = stdin
        self._out = stdout
        self._ready = ready
        self._person = _person(person)
        self._group: str | None = None
        self._buttons: list[Button] = []
        # Command ids derive from update keys, so every session needs its own: a second session on the
        # same database must not replay the first one's commands.
        self._session = uuid.uuid4().hex[:12]
        self._updates = 0
        self._echo = not _interactive(stdin)

    async def run(self) -> None:
        """Run until ``:quit`` or end of input."""
        await self._wait_until_ready()
        self._print(f"Karaoke console. You are {self._person.name}, in your private chat. {META_HELP}")
        while True:
            self._out.write(f"{self._prompt()}> ")
            self._out.flush()
            line = await asyncio.to_thread(self._in.readline)
            if not line:
                self._print("")
                return
            line = line.rstrip("\n")
            if self._echo:
                self._print(line)
            if not await self.line(line):
                return

    async def line(self, text: str) -> bool:
        """Handle one input line; False once the user asked to quit."""
        if text.startswith(":press"):
            await self._press(text.removeprefix(":press").strip())
            return True
        if text.startswith(":"):
            return self._meta(text[1:].strip())
        if not text.strip():
            return True
        await self._send(Said(self._person, self._room(), text, self._next_key()))
        return True

    def _meta(self, command: str) -> bool:
        word, _, arg = command.partition(" ")
        arg = arg.strip()
        if word in ("quit", "q", "exit"):
            return False
        if word == "as" and arg:
            self._person = _person(arg)
            self._print(f"You are now {self._person.name} (@{self._person.username}).")
        elif word == "room" and arg:
            self._group = None if arg.lower() in ("private", "dm") else arg
            self._print(f"You are now in {self._where()}.")
        elif word == "who":
            self._print(f"You are {self._person.name} (@{self._person.username}) in {self._where()}.")
        else:
            self._print(META_HELP)
        return True

    async def _press(self, arg: str) -> None:
        if not arg.isdigit() or not 1 <= int(arg) <= len(self._buttons):
            self._print(f"Press a button from 1 to {len(self._buttons)}." if self._buttons else "No buttons to press.")
            return
        data = self._buttons[int(arg) - 1].data
        await self._send(Pressed(self._person, self._room(), data, self._next_key()))

    async def _send(self, event: ChatEvent) -> None:
        self._show(await self._bot.handle(event))

    def _show(self, replies: list[Reply]) -> None:
        self._buttons = []
        for reply in replies:
            for text_line in reply.text.splitlines():
                self._print(f"  bot: {text_line}")
            for button in reply.buttons:
                self._buttons.append(button)
                self._print(f"    [{len(self._buttons)}] {button.label}")

    def notify(self, reply: Reply) -> None:
        """Print a message the bot sends on its own (a reminder); its buttons can be pressed with ``:press``."""
        who = reply.to_person.name if reply.to_person else "everyone"
        where = "" if reply.room is None or reply.room.private else f" in {reply.room.room_id}"
        self._print("")
        for text_line in reply.text.splitlines():
            self._print(f"  bot → {who}{where}: {text_line}")
        for button in reply.buttons:
            self._buttons.append(button)
            self._print(f"    [{len(self._buttons)}] {button.label} (press as {who})")

    def _room(self) -> Room:
        if self._group is None:
            return Room(PLATFORM, f"private-{self._person.user_id}", True)
        return Room(PLATFORM, self._group, False)

    def _where(self) -> str:
        return "your private chat" if self._group is None else f"group room {self._group!r}"

    def _prompt(self) -> str:
        return f"{self._person.username}@{self._group or 'private'}"

    def _next_key(self) -> str:
        self._updates += 1
        return f"{self._session}-{self._updates}"

    def _print(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    async def _wait_until_ready(self) -> None:
        if self._ready():
            return
        self._print("Loading the song list…")
        # The search service offers a flag, not an event, so the console looks again every 50 ms; after a
        # minute it goes on anyway and the bot itself says the song list is still loading.
        for _ in range(1200):
            if self._ready():
                return
            await asyncio.sleep(0.05)


def _person(name: str) -> Person:
    handle = "".join(ch for ch in name.strip().lower() if ch.isalnum() or ch == "_") or "someone"
    return Person(PLATFORM, handle, name.strip().capitalize() or handle, handle)


def _interactive(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
