"""``/forgetme``: a person asks to be forgotten, confirms with a button, and is erased everywhere.

The answer after erasing goes to them without their name: it is the one message about them still to
be sent, and it leaves the outbox with the retention sweep.
"""

from __future__ import annotations

from dataclasses import replace

from core.chat.buttons import ButtonOption
from core.chat.directory import Choice
from core.chat.linking import accounts_text
from core.chat.ports import Forgetter
from core.chat.routing import Asked, CommandSpec, Who
from core.chat.steps import Steps
from core.chat.vocabulary import Pressed, Reply


class Forgetting:
    """The ``/forgetme`` command and its two buttons (``forget`` and ``keepme``)."""

    def __init__(self, steps: Steps, forgetter: Forgetter | None) -> None:
        """Without a ``forgetter`` the bot says it cannot forget people here."""
        self._steps = steps
        self._forgetter = forgetter

    def commands(self) -> list[CommandSpec]:
        """``/forgetme``, open to anyone."""
        return [CommandSpec("forgetme", Who.ANYONE, self.ask)]

    async def ask(self, ask: Asked) -> list[Reply]:
        """``/forgetme``: say what forgetting does (and which waiting songs go with it), then ask to confirm."""
        steps, event = self._steps, ask.event
        if self._forgetter is None:
            raise steps.refuse("forget.unavailable")
        waiting = await self._forgetter.waiting_songs(*event.person.key)
        others = await self._other_accounts(event.person.platform, event.person.user_id)
        text = steps.say("forget.confirm.linked", accounts=others) if others else steps.say("forget.confirm")
        if waiting:
            text += steps.say("forget.songs.one" if waiting == 1 else "forget.songs.many", count=waiting)
        show_id = await steps.show_id(event) or ""
        buttons = await steps.buttons.make(event.person, show_id, [
            ButtonOption("forget", "", steps.say("forget.yes")), ButtonOption("keepme", "", steps.say("forget.no"))])
        return [steps.tell(event, text, buttons)]

    async def forget(self, event: Pressed, choice: Choice) -> list[Reply]:
        """"Yes, forget me": erase them, then answer without their name."""
        steps = self._steps
        if self._forgetter is None:
            raise steps.refuse("forget.unavailable")
        others = await self._other_accounts(event.person.platform, event.person.user_id)
        found = await self._forgetter.forget(*event.person.key)
        nameless = replace(event.person, name="", username=None)
        if found is None:
            text = steps.say("forget.unknown")
        else:
            text = steps.say("forget.done.linked", accounts=others) if others else steps.say("forget.done")
        return [Reply(event.room, nameless, text, ephemeral=not event.room.private)]

    async def _other_accounts(self, platform: str, user_id: str) -> str:
        """The person's other kinds of account, said ("Slack"), or "" when this is their only one."""
        steps = self._steps
        person = await steps.people.store.find(platform, user_id)
        if person is None:
            return ""
        others = tuple(i for i in person.identities if (i.platform, i.user_id) != (platform, user_id))
        return accounts_text(steps.say, replace(person, identities=others)) if others else ""

    async def keep(self, event: Pressed, choice: Choice) -> list[Reply]:
        """"No, keep me": nothing changes."""
        return [self._steps.tell(event, self._steps.say("forget.kept"))]
