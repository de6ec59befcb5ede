"""``ChatBot``: the karaoke conversation, the same on Telegram, Slack and the console.

An adapter turns a platform update into a ``Said`` or ``Pressed`` and calls ``handle``; it renders
the ``Reply`` values that come back. Nothing here knows a platform. The conversation is split in
rooms: ``routing`` (the command table and who may run what), ``singer`` and ``kj`` (the commands),
``presses`` (buttons), ``steps`` (what they share) and ``messages`` (every sentence).

Idempotency: command ids sent to the rotation are derived from ``(platform, update_key)``, so a
redelivered update is answered from the record instead of being applied again. Directory writes
(joining, naming, binding) are idempotent upserts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from core.catalog.search import CatalogSearch
from core.chat.buttons import ButtonMaker, new_token
from core.chat.directory import ChatDirectory
from core.chat.forgetting import Forgetting
from core.chat.history import HistoryCommands
from core.chat.kj import KjCommands
from core.chat.linking import Linking
from core.chat.messages import Messages, shortened
from core.chat.opening import KjRegistry, NoKjRegistry, OpeningGate, OpeningRules
from core.chat.parsing import MAX_MESSAGE, clean, clean_name, parse_command
from core.chat.ports import Confirmations, Forgetter, NoConfirmations, SongLookup
from core.chat.presses import ButtonPresses
from core.chat.regulars import Regulars
from core.chat.routing import Router
from core.chat.singer import SingerCommands
from core.chat.steps import Refusal, Steps
from core.chat.top import TopSongs
from core.chat.vocabulary import ChatEvent, Pressed, Reply, Said
from core.chat.walkins import WalkIns
from core.clock import Clock
from core.people import People, SongHistory
from core.projections import FoldedPerformances, PerformanceLog
from core.rotation import RotationError, RotationService
from core.stats import FoldedStats, PerformanceStats

logger = logging.getLogger(__name__)

UNKNOWN_COMMAND_SHOWN = 30


class ChatBot:
    """The conversation core: answers each chat event with replies, driving the rotation and search."""

    def __init__(
        self,
        rotation: RotationService,
        search: CatalogSearch,
        songs: SongLookup,
        directory: ChatDirectory,
        clock: Clock,
        *,
        people: People,
        song_history: SongHistory | None = None,
        bot_username: str | None = None,
        new_token: Callable[[], str] = new_token,
        choice_lifetime: timedelta = timedelta(hours=2),
        confirmations: Confirmations | None = None,
        messages: Messages | None = None,
        kjs: KjRegistry | None = None,
        opening: OpeningRules | None = None,
        forgetter: Forgetter | None = None,
        performances: PerformanceLog | None = None,
        stats: PerformanceStats | None = None,
    ) -> None:
        """Wire the bot; ``bot_username`` makes it ignore ``/cmd@otherbot``; ``new_token`` names button choices.

        ``kjs`` and ``opening`` decide who may open shows and how many may be open (``core.chat.opening``);
        ``forgetter`` erases people who ask to be forgotten (``/forgetme``). ``people`` knows who is behind
        each identity (linking, walk-ins, favourites); ``song_history`` remembers earlier nights (``/again``).
        ``performances`` says what was sung (``/history``); without it, it is read from the shows' logs.
        ``stats`` sums up what was sung (``/top``, earlier nights in ``/mysongs``); without it, the shows' logs are.
        """
        self._say = messages or Messages()
        buttons = ButtonMaker(directory, clock, new_token=new_token, lifetime=choice_lifetime)
        gate = OpeningGate(kjs or NoKjRegistry(), opening or OpeningRules())
        self._steps = Steps(rotation, search, songs, directory, clock, self._say, buttons,
                            confirmations or NoConfirmations(), gate, people, song_history,
                            stats or FoldedStats(rotation))
        self._bot_username = bot_username.lower() if bot_username else None
        self._singers = SingerCommands(self._steps)
        forgetting = Forgetting(self._steps, forgetter)
        regulars, walk_ins = Regulars(self._steps), WalkIns(self._steps)
        self._router = Router(self._steps, [
            *self._singers.commands(), *KjCommands(self._steps).commands(), *forgetting.commands(),
            *Linking(self._steps).commands(), *regulars.commands(), *walk_ins.commands(),
            *HistoryCommands(self._steps, performances or FoldedPerformances(rotation)).commands(),
            *TopSongs(self._steps).commands()])
        self._presses = ButtonPresses(self._steps, {"forget": forgetting.forget, "keepme": forgetting.keep,
                                                    "fav": regulars.pressed_fav, "addfor": walk_ins.pressed})

    @property
    def steps(self) -> Steps:
        """The steps every room of the conversation shares (the web way in works through them too)."""
        return self._steps

    async def handle(self, event: ChatEvent) -> list[Reply]:
        """Answer one chat event. Never raises: refusals and failures come back as one friendly line.

        Messages from bots and chatter in groups that is not a command get no reply at all.
        """
        if event.person.is_bot:
            return []
        event = _with_clean_names(event)
        steps = self._steps
        try:
            if event.room.private:
                # The person with their private room: a newcomer's first message is one write, not two.
                await steps.directory.remember_private_room(event.person, event.room)
            else:
                await steps.directory.remember_person(event.person)
            if isinstance(event, Pressed):
                return await self._presses.handle(event)
            return await self._said(event)
        except Refusal as refusal:
            return [steps.tell(event, refusal.text)]
        except RotationError as error:
            return [steps.tell(event, self._say.refusal(error))]
        except Exception:
            logger.exception("chat update %s from %s failed", event.update_key, event.person.platform)
            return [steps.tell(event, self._say("sorry"))]

    async def _said(self, event: Said) -> list[Reply]:
        # Cleaning a bounded prefix is enough to tell a command from chatter; longer text is refused below.
        text = clean(event.text[: 4 * MAX_MESSAGE])
        command = parse_command(text)
        if command is None and not event.room.private:
            return []  # group chatter is not for the bot, however long
        if len(event.text) > MAX_MESSAGE:
            raise self._steps.refuse("too_long")
        if command is None:
            if not text:
                raise self._steps.refuse("empty_private")
            return await self._singers.plain_private(event, text)
        if command.bot and self._bot_username and command.bot.lower() != self._bot_username:
            return []  # addressed to another bot in the group
        if command.name not in self._router:
            shown = f"/{command.name}" if command.name else self._say("unknown_command.that")
            raise self._steps.refuse("unknown_command", command=shortened(shown, UNKNOWN_COMMAND_SHOWN))
        return await self._router.run(command.name, event, command.args)


def _with_clean_names(event: ChatEvent) -> ChatEvent:
    # Whatever an adapter passed on, no control character reaches the directory, the rotation or a reply.
    person = event.person
    name, username = clean_name(person.name), clean_name(person.username) or None
    if name == person.name and username == person.username:
        return event
    return replace(event, person=replace(person, name=name, username=username))
